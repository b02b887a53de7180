/**
 * .ci/summary.mjs: the "N passed, N failed, N skipped" line CI reads must agree with Vitest's exit
 * status in every case. test/fixtures/ci-summary/ holds JSON reports recorded from real Vitest 4
 * runs (paths made relative, times zeroed) together with the exit status Vitest gave; one more run
 * of Vitest here checks that the shapes have not drifted.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const SUMMARY = join(ROOT, ".ci/summary.mjs");
const FIXTURES = join(import.meta.dirname, "fixtures/ci-summary");
const dir = mkdtempSync(join(tmpdir(), "wscale-ci-summary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function summary(...args: string[]): { lines: string[]; status: number | null } {
  const r = spawnSync(process.execPath, [SUMMARY, ...args], { encoding: "utf8" });
  return { lines: r.stdout.trim().split("\n"), status: r.status };
}

function recorded(name: string): { report: string; vitest: number } {
  const { vitestExitStatus, report } = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(report));
  return { report: path, vitest: vitestExitStatus };
}

describe(".ci/summary.mjs on recorded Vitest reports", () => {
  // What each recorded run must print last, and the exit status (always Vitest's own).
  const CASES: Record<string, { line: string; named?: string[] }> = {
    "all-pass": { line: "1 passed, 0 failed, 2 skipped" },
    "test-fails": { line: "2 passed, 1 failed, 2 skipped", named: ["failed: cases/fail.test.mjs > fails"] },
    // beforeAll threw: Vitest counts no failed test (both are "skipped"), but the file failed.
    "beforeall-throws": {
      line: "1 passed, 1 failed, 4 skipped",
      named: ["failed: cases/beforeall.test.mjs: the file failed outside its tests (a hook or an import)"],
    },
    "import-fails": {
      line: "1 passed, 1 failed, 2 skipped",
      named: [
        "failed: cases/import.test.mjs: Cannot find module './does-not-exist.mjs' imported from cases/import.test.mjs",
      ],
    },
    // An error thrown outside any test: the report says success, Vitest exits 1.
    "unhandled-error": {
      line: "3 passed, 1 failed, 2 skipped",
      named: ["failed: vitest exited 1 with no failure in its report (an error outside the tests)"],
    },
    "no-tests": {
      line: "0 passed, 2 failed, 0 skipped",
      named: ["failed: cases/empty.test.mjs: No test suite found in file cases/empty.test.mjs", "failed: no test ran"],
    },
  };

  it("every recorded report has a case here", () => {
    expect(
      readdirSync(FIXTURES)
        .map((f) => f.replace(/\.json$/, ""))
        .sort(),
    ).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, want] of Object.entries(CASES)) {
    it(`${name}: "${want.line}", exit status as Vitest's`, () => {
      const { report, vitest } = recorded(name);
      const r = summary(report, String(vitest));
      expect(r.lines.at(-1)).toBe(want.line);
      expect(r.lines.slice(0, -1)).toEqual(want.named ?? []);
      expect(r.status).toBe(vitest);
      // "0 failed" exactly when Vitest passed.
      expect(want.line.includes(" 0 failed")).toBe(vitest === 0);
    });
  }

  it("without Vitest's status, a report that hides an outside error reads as passed (why .ci/run passes it)", () => {
    const { report } = recorded("unhandled-error");
    expect(summary(report)).toEqual({ lines: ["3 passed, 0 failed, 2 skipped"], status: 0 });
  });

  it("no report (the build failed before Vitest ran): one failure, exit 1", () => {
    const r = summary(join(dir, "absent.json"), "1");
    expect(r.status).toBe(1);
    expect(r.lines).toHaveLength(1);
    expect(r.lines[0]).toMatch(/^0 passed, 1 failed \(no test report: ENOENT/);
  });

  it(".ci/run deletes the previous report before the tests run, and hands Vitest's status on", () => {
    const run = readFileSync(join(ROOT, ".ci/run"), "utf8");
    const rm = run.indexOf("rm -f .vitest-results.json");
    expect(rm).toBeGreaterThan(-1);
    expect(rm).toBeLessThan(run.indexOf("npm test"));
    expect(run).toContain('node .ci/summary.mjs .vitest-results.json "$status"');
  });
});

describe(".ci/summary.mjs on a fresh Vitest run", () => {
  it("a beforeAll that throws next to a passing file: Vitest exits 1 and the line says 1 failed", () => {
    const project = join(dir, "project");
    mkdirSync(join(project, "cases"), { recursive: true });
    writeFileSync(join(project, "vitest.config.mjs"), 'export default { test: { include: ["cases/*.test.mjs"] } };\n');
    writeFileSync(join(project, "cases/pass.test.mjs"), 'import { it } from "vitest";\nit("passes", () => {});\n');
    writeFileSync(
      join(project, "cases/setup.test.mjs"),
      'import { beforeAll, it } from "vitest";\nbeforeAll(() => { throw new Error("setup broke"); });\nit("a", () => {});\n',
    );
    const report = join(project, "report.json");
    const vitest = spawnSync(
      process.execPath,
      [
        join(ROOT, "node_modules/vitest/vitest.mjs"),
        "run",
        "--root",
        project,
        "--reporter=json",
        `--outputFile.json=${report}`,
      ],
      { encoding: "utf8", timeout: 120_000, env: { ...process.env, CI: "" } },
    );
    expect(vitest.status).toBe(1);
    const r = summary(report, String(vitest.status));
    expect(r.lines.at(-1)).toBe("1 passed, 1 failed, 1 skipped");
    expect(r.status).toBe(1);
  }, 120_000);
});
