/**
 * The test suite's own rules (issue 17): a missing tool skips with its name locally and fails under
 * CI (test/helpers/tools.ts); a test that leaves temporary files behind fails the run
 * (test/helpers/global-setup.ts); namespace and browser tests run one file at a time, after the rest
 * (vitest.config.ts). The first two are checked by running Vitest itself on small test files.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import config from "../vitest.config.js";
import { onPath, underCi } from "./helpers/tools.js";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "wscale-test-tools-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("finding tools", () => {
  it("looks for executables on the PATH, without a shell", () => {
    expect(onPath("sh")).toBe(true);
    expect(onPath("wscale-no-such-tool")).toBe(false);
    // A file that exists but is not executable is not a tool.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "notexec"), "#!/bin/sh\n", { mode: 0o644 });
    writeFileSync(join(bin, "runme"), "#!/bin/sh\n", { mode: 0o755 });
    expect(onPath("notexec", bin)).toBe(false);
    expect(onPath("runme", `/nonexistent:${bin}`)).toBe(true);
  });

  it("CI is any value of CI but empty, 0 or false", () => {
    expect(underCi({ CI: "1" })).toBe(true);
    expect(underCi({ CI: "true" })).toBe(true);
    for (const v of [undefined, "", "0", "false", "FALSE"]) expect(underCi({ CI: v })).toBe(false);
  });
});

/** Run Vitest on these test files (with this repository's helpers); returns its status, tests and output. */
function vitest(name: string, files: Record<string, string>, env: Record<string, string>) {
  const project = join(dir, name);
  mkdirSync(project, { recursive: true });
  writeFileSync(
    join(project, "vitest.config.mjs"),
    `export default { test: { include: ["*.test.ts"], globalSetup: [${JSON.stringify(join(ROOT, "test/helpers/global-setup.ts"))}] } };\n`,
  );
  for (const [f, text] of Object.entries(files)) writeFileSync(join(project, f), text);
  const report = join(project, "report.json");
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  delete childEnv.WSCALE_TEST_TMPDIR; // the outer run's: the inner run makes its own
  const r = spawnSync(
    process.execPath,
    [
      join(ROOT, "node_modules/vitest/vitest.mjs"),
      "run",
      "--root",
      project,
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
    ],
    { encoding: "utf8", timeout: 120_000, env: childEnv },
  );
  const json = JSON.parse(readFileSync(report, "utf8"));
  const tests = json.testResults.flatMap((f: { assertionResults: { fullName: string; status: string }[] }) =>
    f.assertionResults.map((a) => `${a.status}: ${a.fullName}`),
  );
  return { status: r.status, tests, output: r.stdout + r.stderr };
}

const TOOLS = JSON.stringify(join(ROOT, "test/helpers/tools.ts"));
const GUARDED = `
import { expect, it } from "vitest";
import { requireTools } from ${TOOLS};
const missing = requireTools(["wscale-no-such-tool", "sh"]);
missing.describe("an oracle block", () => {
  throw new Error("the body of a guarded block must not run when a tool is missing");
});
missing.it("an oracle test", () => {
  throw new Error("a guarded test must not run when a tool is missing");
});
requireTools(["sh"]).it("a test whose tool is there", () => expect(1).toBe(1));
`;

describe("requireTools in a real Vitest run", () => {
  it("locally: the guarded tests are skipped, named after the missing tool, the rest run; a leftover temp file fails the run", () => {
    const leak = `
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
it("forgets its temporary directory", () => { mkdtempSync(join(tmpdir(), "wscale-forgotten-")); });
`;
    const r = vitest("local", { "guarded.test.ts": GUARDED, "leak.test.ts": leak }, { CI: "" });
    const reason = "needs wscale-no-such-tool (not found on PATH)";
    expect(r.tests.sort()).toEqual(
      [
        `skipped: an oracle block an oracle block (skipped: ${reason})`,
        `skipped: an oracle test (skipped: ${reason})`,
        "passed: a test whose tool is there",
        "passed: forgets its temporary directory",
      ].sort(),
    );
    expect(r.output).toContain(`skipped "an oracle test": ${reason}`);
    // Every test passed or skipped, yet the run fails: it left a directory behind, named here.
    expect(r.output).toMatch(
      /tests left temporary files behind \(a test must remove what it creates\): wscale-forgotten-\w+/,
    );
    expect(r.status).toBe(1);
  }, 120_000);

  it("under CI: each guarded block fails, naming the missing tool", () => {
    const r = vitest("ci", { "guarded.test.ts": GUARDED }, { CI: "1" });
    const reason = "needs wscale-no-such-tool (not found on PATH)";
    expect(r.tests.sort()).toEqual(
      [
        `failed: an oracle block an oracle block: ${reason}`,
        `failed: an oracle test: ${reason}`,
        "passed: a test whose tool is there",
      ].sort(),
    );
    expect(r.status).toBe(1);
  }, 120_000);
});

describe("vitest.config.ts", () => {
  const projects = config.test!.projects as { test: { name: string } & Record<string, unknown> }[];
  const unit = projects.find((p) => p.test.name === "unit")!.test;
  const system = projects.find((p) => p.test.name === "system")!.test;

  it("namespace and browser tests run one file at a time, after every other file", () => {
    expect(system.fileParallelism).toBe(false);
    const order = (t: Record<string, unknown>) => (t.sequence as { groupOrder: number }).groupOrder;
    expect(order(system)).toBeGreaterThan(order(unit));
  });

  it("Vitest puts every *.root and *.browser test file in the sequential project, every other file in the parallel one, each once", () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "node_modules/vitest/vitest.mjs"), "list", "--filesOnly", "--json"],
      {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    const listed = (JSON.parse(r.stdout) as { file: string; projectName: string }[]).map(
      (x) => `${x.projectName} ${x.file.slice(ROOT.length + 1)}`,
    );
    const files = readdirSync(join(ROOT, "test"), { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".test.ts") && !f.split("/").includes("node_modules"),
    );
    const want = files.map((f) => `${/\.(root|browser)\.test\.ts$/.test(f) ? "system" : "unit"} test/${f}`);
    expect(want.filter((w) => w.startsWith("system")).length).toBeGreaterThanOrEqual(5);
    expect(listed.sort()).toEqual(want.sort());
  }, 60_000);
});
