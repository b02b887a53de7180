/**
 * `analyze --each` and `--jobs` (issue 13, all cores): independent inputs analysed in worker
 * threads of the one bundle, one report per input (stdout, or -o DIR/ with a file per input), or
 * one merged NDJSON stream; every report exactly what `analyze` gives for that input alone.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import { JobPool, setWorkerEntry } from "../src/analysis/jobs.js";
import type { ViewResult } from "../src/analysis/view.js";
import { JOB_HANDLERS } from "../src/cli/jobs.js";
import { BIN, ROOT } from "./helpers/bin.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-jobs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function wscale(args: string[]) {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", COLUMNS: "100" };
  delete env.FORCE_COLOR;
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Three captures of different connections: healthy (exit 0), the seed case (an error), a zero window (a warning). */
const THREE = ["healthy.client.pcap", "rewrite-syn-0.client.pcap", "zero-window.server.pcap"];

describe("the job pool", () => {
  it("a job sent to a worker thread (the bundle, started as a worker) returns what it returns on the main thread", async () => {
    setWorkerEntry(BIN);
    const pool = new JobPool(2, JOB_HANDLERS);
    try {
      // The main thread is taken by a job that can only run there: the next one goes to a worker.
      let release = () => {};
      const here = pool.runHere(() => new Promise<string>((r) => (release = () => r("here"))));
      const args = {
        paths: [CAP("rewrite-syn-0.client.pcap")],
        options: { idleTimeout: 300, timeline: false },
        copyDelay: [],
      };
      const inWorker = await pool.run<ViewResult>("view", args);
      expect(pool.threads).toBe(1);
      release();
      expect(await here).toBe("here");
      const onMain = await new JobPool(1, JOB_HANDLERS).run<ViewResult>("view", args);
      expect(inWorker).toEqual(onMain);
      expect(inWorker.report.findings.map((f) => f.id)).toEqual(["scale-rewritten"]);
    } finally {
      await pool.close();
    }
  });

  it("an input error in a worker arrives as the same one-line InputError", async () => {
    setWorkerEntry(BIN);
    const pool = new JobPool(2, JOB_HANDLERS);
    try {
      let release = () => {};
      const here = pool.runHere(() => new Promise<void>((r) => (release = r)));
      const missing = join(tmp, "missing.pcap");
      const err = await pool
        .run("view", { paths: [missing], options: { idleTimeout: 300, timeline: false }, copyDelay: [] })
        .catch((e: Error) => e);
      release();
      await here;
      expect(err).toMatchObject({
        name: "InputError",
        message: `${missing}: no such file`,
        path: missing,
        offset: null,
      });
    } finally {
      await pool.close();
    }
  });
});

describe("analyze --each", () => {
  const alone = (file: string, format: string) => wscale(["analyze", CAP(file), "-F", format]);

  it("-o DIR/: one file per input, named after it, each what the input alone gives; the worst exit code", {
    timeout: 120_000,
  }, () => {
    const dir = join(tmp, "reports");
    const r = wscale(["analyze", ...THREE.map(CAP), CAP("healthy.client.pcap"), "-F", "json", "-o", `${dir}/`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe("");
    expect(readdirSync(dir).sort()).toEqual([
      "healthy.client.pcap-2.json",
      "healthy.client.pcap.json",
      "rewrite-syn-0.client.pcap.json",
      "zero-window.server.pcap.json",
    ]);
    for (const f of THREE) {
      const file = join(tmp, `${f}.alone.json`);
      wscale(["analyze", CAP(f), "-F", "json", "-o", file]);
      expect(readFileSync(join(dir, `${f}.json`), "utf8")).toBe(readFileSync(file, "utf8"));
    }
    expect(readFileSync(join(dir, "healthy.client.pcap-2.json"), "utf8")).toBe(
      readFileSync(join(dir, "healthy.client.pcap.json"), "utf8"),
    );
  });

  it("--jobs 1 and --jobs 3 write the same files", { timeout: 120_000 }, () => {
    const one = join(tmp, "one");
    const three = join(tmp, "three");
    expect(wscale(["analyze", ...THREE.map(CAP), "-F", "html", "--jobs", "1", "-o", `${one}/`]).code).toBe(1);
    expect(wscale(["analyze", ...THREE.map(CAP), "-F", "html", "--jobs", "3", "-o", `${three}/`]).code).toBe(1);
    for (const f of readdirSync(one))
      expect(readFileSync(join(three, f), "utf8")).toBe(readFileSync(join(one, f), "utf8"));
    expect(readdirSync(three).sort()).toEqual(THREE.map((f) => `${f}.html`).sort());
  });

  it("on stdout: the reports one after another, in the order given", { timeout: 180_000 }, () => {
    for (const format of ["table", "md", "json"]) {
      const r = wscale(["analyze", ...THREE.map(CAP), "--each", "-F", format]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe(THREE.map((f) => alone(f, format).stdout).join(""));
    }
  });

  it("--format ndjson: one stream; each connection names its input, ids unique and stable, one closing report line", {
    timeout: 120_000,
  }, () => {
    const r = wscale(["analyze", ...THREE.map(CAP), "--each", "-F", "ndjson", "--fail-on", "warn"]);
    expect(r.code).toBe(1);
    const lines = r.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    const report = lines.at(-1);
    expect(lines.slice(0, -1).every((l) => l.type !== "report")).toBe(true);
    expect(report.inputs.map((i: { path: string }) => i.path)).toEqual(THREE.map(CAP));
    // The same record as one input's stream (schema/report.record.schema.json).
    expect([report.summary.connections, report.summary.findings, report.exitStatus]).toEqual([
      3,
      { error: 1, warn: 1, info: 0, total: 2 },
      1,
    ]);
    const conns = lines.filter((l) => l.type === "connection");
    // The k-th connection of input i (of n) is c((k - 1) * n + i + 1): the same ids on every run.
    expect(conns.map((c) => [c.input, c.id]).sort()).toEqual([
      [0, "c1"],
      [1, "c2"],
      [2, "c3"],
    ]);
    // Per input, the lines that input alone gives, with the stream's id and the input's index.
    THREE.forEach((f, input) => {
      const own = alone(f, "ndjson")
        .stdout.trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l))
        .slice(0, -1);
      const conn = conns.find((c) => c.input === input);
      const mine = lines.filter((l) => (l.type === "connection" ? l.id : l.connection) === conn.id);
      expect(mine).toEqual(
        own.map((l) => (l.type === "connection" ? { ...l, id: conn.id, input } : { ...l, connection: conn.id })),
      );
    });
  });

  it("an unreadable input: the others' reports, one line naming it, exit 2", { timeout: 120_000 }, () => {
    const empty = join(tmp, "empty.pcap");
    writeFileSync(empty, "");
    const dir = join(tmp, "with-empty");
    const r = wscale(["analyze", CAP("healthy.client.pcap"), empty, "-F", "csv", "-o", `${dir}/`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`wscale: ${empty}: byte 0: empty input\n`);
    expect(readdirSync(dir)).toEqual(["healthy.client.pcap.csv"]);
    const s = wscale(["analyze", empty, CAP("healthy.client.pcap"), "--each", "-F", "ndjson"]);
    expect(s.code).toBe(2);
    expect(s.stderr).toBe(`wscale: ${empty}: byte 0: empty input\n`);
    const lines = s.stdout
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.type, l.input ?? null])).toEqual([
      ["connection", 0],
      ["report", null],
    ]);
  });

  it("usage errors: one line, exit 2", { timeout: 120_000 }, () => {
    const cases: [string[], RegExp][] = [
      [["--jobs", "0"], /^wscale: --jobs: needs a whole number >= 1, got "0"\n/],
      [["--jobs", "two"], /^wscale: --jobs: needs a whole number >= 1, got "two"\n/],
      [
        ["--each", "-F", "json", "-o", join(tmp, "one-file.json")],
        /^wscale: --each writes one report per input: give -o a directory \(.*one-file\.json\/\), or --format ndjson for one stream\n$/,
      ],
    ];
    for (const [args, stderr] of cases) {
      const r = wscale(["analyze", CAP("healthy.client.pcap"), CAP("zero-window.server.pcap"), ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(stderr);
    }
  });

  it("vantage points on two threads: the same report as on one", { timeout: 120_000 }, async () => {
    const args = [CAP("strip-syn.client.pcap"), CAP("strip-syn.server.pcap"), "-F", "json"];
    const two = wscale(["analyze", ...args, "--jobs", "2"]);
    const one = wscale(["analyze", ...args, "--jobs", "1"]);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(one.stdout);
    const report = JSON.parse(two.stdout);
    const client = await analyze([CAP("strip-syn.client.pcap")], { idleTimeout: 300 });
    expect(report.connections[0]).toEqual({ ...client.connections[0], vantage: 0 });
  });
});
