// Vitest's own summary is not a line CI reads: print "N passed, N failed, N skipped" from its JSON report.
//
//   node .ci/summary.mjs REPORT.json [VITEST_EXIT_STATUS]
//
// A failure is a failed test, a test file that failed without a failed test (a beforeAll or afterAll
// that threw, an import that broke, a file with no tests: Vitest then marks the tests skipped), and,
// given Vitest's exit status, any failure its report does not show (an unhandled error outside the
// tests, a crash): the line then always agrees with that status. A missing or unreadable report, or
// one with no test at all, is a failure too. Each failure is named on its own line before the summary.
import { readFileSync } from "node:fs";

const [file = ".vitest-results.json", statusArg] = process.argv.slice(2);
const status = statusArg === undefined ? undefined : Number(statusArg);

let r;
try {
  r = JSON.parse(readFileSync(file, "utf8"));
} catch (e) {
  console.log(`0 passed, 1 failed (no test report: ${e.message})`);
  process.exit(1);
}

const problems = [];
for (const f of r.testResults ?? []) {
  const failedTests = (f.assertionResults ?? []).filter((a) => a.status === "failed");
  for (const a of failedTests)
    problems.push(`failed: ${f.name} > ${[...(a.ancestorTitles ?? []), a.title].join(" > ")}`);
  // A file can fail with no failed test in it; its tests were skipped or never collected.
  if (f.status === "failed" && failedTests.length === 0) {
    problems.push(
      `failed: ${f.name}: ${(f.message || "the file failed outside its tests (a hook or an import)").split("\n")[0]}`,
    );
  }
}
if (r.numTotalTests === 0) problems.push("failed: no test ran");
if (status !== undefined && status !== 0 && problems.length === 0) {
  problems.push(`failed: vitest exited ${status} with no failure in its report (an error outside the tests)`);
}

const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
for (const p of problems) console.log(p);
console.log(`${r.numPassedTests ?? 0} passed, ${problems.length} failed, ${skipped} skipped`);
process.exit(problems.length > 0 ? 1 : 0);
