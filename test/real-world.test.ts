/**
 * The real-world regression set (test/real-world/, rebuilt by scripts/real-world/make-set.sh; sources
 * and licences in its README): public captures from Windows, macOS, iOS, BSD, Linux and appliance
 * stacks, NAT, tunnels, mid-stream and damaged files. Each file is analysed as a user would
 * (`analyze FILE --format json`); its warn/error findings must be exactly the ones its packets
 * support (expected.json, triaged by hand with tshark), the shift of every connection whose
 * handshake was captured must be the RFC 7323 one, it must parse (exit 0 or 1; 2 only for a file
 * damaged by design, with a one-line error naming the byte offset) and its JSON must validate.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";

interface ExpectedFinding {
  id: string;
  severity: string;
  confidence: string;
  client: number;
  server: number;
  why: string;
}
interface Expected {
  exit: number[];
  /** Part of the one-line error (exit 2) or of an input warning, naming the byte offset. */
  error?: string;
  warning?: string;
  findings: ExpectedFinding[];
  why?: string;
  /** "clientPort-serverPort": [client shift, server shift], for every captured handshake. */
  shifts?: Record<string, [number, number]>;
  /** Today's analyzer disagrees with the packets: the findings test is `it.fails` with this reason. */
  knownWrong?: string;
}
interface Endpoint {
  port: number;
  shift: number | null;
}
interface Report {
  connections: { id: string; handshake: string; client: Endpoint; server: Endpoint }[];
  findings: { id: string; severity: string; confidence: string; connection?: string }[];
  inputs: { warnings: { offset: number; message: string }[] }[];
}
interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const DIR = join(ROOT, "test/real-world");
const EXPECTED: Record<string, Expected> = JSON.parse(readFileSync(join(DIR, "expected.json"), "utf8"));
const SCHEMA = JSON.parse(readFileSync(join(ROOT, "schema/report.schema.json"), "utf8"));
const validate = new Ajv2020({ allErrors: true }).compile(SCHEMA);
const files = Object.keys(EXPECTED).sort();

function analyze(file: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, "analyze", join(DIR, file), "--format", "json"],
      { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: "1" } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const runs = new Map<string, Run>();
const reports = new Map<string, Report>();

beforeAll(async () => {
  // Two at a time: the machine is shared.
  const queue = [...files];
  const worker = async () => {
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) runs.set(f, await analyze(f));
  };
  await Promise.all([worker(), worker()]);
  for (const [f, run] of runs) if (run.code !== 2) reports.set(f, JSON.parse(run.stdout));
}, 60_000);

/** A report's warn/error findings in expected.json's shape (without the reason), sorted. */
function accusations(report: Report) {
  const byId = new Map(report.connections.map((c) => [c.id, c]));
  return report.findings
    .filter((f) => f.severity === "warn" || f.severity === "error")
    .map((f) => {
      const c = f.connection === undefined ? undefined : byId.get(f.connection);
      return {
        id: f.id,
        severity: f.severity,
        confidence: f.confidence,
        client: c?.client.port,
        server: c?.server.port,
      };
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe("test/real-world: public captures from real networks", () => {
  it("every file of the directory has its expectation", () => {
    const onDisk = readdirSync(DIR).filter((f) => f !== "README.md" && f !== "expected.json");
    expect(onDisk.sort()).toEqual(files);
  });

  for (const file of files) {
    const exp = EXPECTED[file] as Expected;

    it(`${file}: parses without an exception (exit ${exp.exit.join(" or ")})`, () => {
      const run = runs.get(file)!;
      expect(exp.exit).toContain(run.code);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      if (exp.error === undefined) {
        expect(validate(reports.get(file)), JSON.stringify(validate.errors)).toBe(true);
      } else {
        expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
        expect(run.stderr).toContain(`${file}: ${exp.error}:`);
      }
      if (exp.warning !== undefined) {
        expect(run.stderr).toContain(`${file}: ${exp.warning}:`);
        const offset = Number(exp.warning.replace("byte ", ""));
        expect(reports.get(file)?.inputs[0]?.warnings.map((w) => w.offset)).toEqual([offset]);
      }
    });

    if (exp.error !== undefined) continue;

    const findingsTest = () => {
      const want = exp.findings
        .map(({ why: _why, ...f }) => f)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
      expect(accusations(reports.get(file)!)).toEqual(want);
    };
    const name = `${file}: warn/error findings are exactly ${exp.findings.map((f) => f.id).join(", ") || "none"}`;
    if (exp.knownWrong) it.fails(`${name} (known wrong, issue 12: ${exp.knownWrong})`, findingsTest);
    else it(name, findingsTest);

    if (exp.shifts !== undefined) {
      it(`${file}: the shift of every captured handshake`, () => {
        const got: Record<string, [number | null, number | null]> = {};
        for (const c of reports.get(file)!.connections) {
          if (c.handshake === "complete") got[`${c.client.port}-${c.server.port}`] = [c.client.shift, c.server.shift];
        }
        expect(got).toEqual(exp.shifts);
      });
    }
  }
});
