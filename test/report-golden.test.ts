/**
 * Golden files: the CSV and Markdown reports of a few real captures, compared exactly. After an
 * intended change (a new column, a reworded finding), regenerate them with
 *   UPDATE_GOLDEN=1 npx vitest run test/report-golden.test.ts
 * and review the diff.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import { CSV_COLUMNS, renderCsv } from "../src/report/csv.js";
import { renderMarkdown } from "../src/report/markdown.js";
import { BIN } from "./helpers/bin.js";

const ROOT = join(import.meta.dirname, "..");
const GOLDEN = join(ROOT, "test/golden");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

/** The report of one capture, its path as a user in the repository would type it. */
async function reportOf(name: string): Promise<AnalysisReport> {
  const report = await analyze([join(ROOT, "captures", name)], { idleTimeout: 300 });
  for (const input of report.inputs) input.path = `captures/${name}`;
  return report;
}

function golden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (UPDATE || !existsSync(path)) {
    writeFileSync(path, actual);
    if (!UPDATE) throw new Error(`${file} did not exist: written now, review it and run again`);
  }
  expect(actual).toBe(readFileSync(path, "utf8"));
}

const CAPTURES = ["rewrite-syn-0.client.pcap", "ipv6-strip-syn.client.pcap", "healthy-pcapng.client.pcapng"];

describe("golden CSV and Markdown", () => {
  for (const name of CAPTURES) {
    const stem = name.replace(/\.pcap(ng)?$/, "");
    it(`${name}: CSV`, async () => golden(`${stem}.csv`, renderCsv(await reportOf(name))));
    it(`${name}: Markdown`, async () => golden(`${stem}.md`, renderMarkdown(await reportOf(name))));
    // The command streams CSV row by row and keeps only the worst connections for Markdown: the same text.
    it(`${name}: the command writes the same CSV and Markdown`, () => {
      for (const [format, ext] of [
        ["csv", "csv"],
        ["md", "md"],
      ]) {
        const r = spawnSync(process.execPath, [BIN, "analyze", `captures/${name}`, "--format", format!], {
          cwd: ROOT,
          encoding: "utf8",
          env: { ...process.env, NO_COLOR: "1" },
        });
        expect(r.status, r.stderr).not.toBe(2);
        expect(r.stdout).toBe(readFileSync(join(GOLDEN, `${stem}.${ext}`), "utf8"));
      }
    });
  }

  it("the CSV has the header row, one row per connection, CRLF line ends and the same field count everywhere", async () => {
    const csv = renderCsv(await reportOf("healthy-pcapng.client.pcapng"));
    expect(csv.endsWith("\r\n")).toBe(true);
    const rows = csv.slice(0, -2).split("\r\n");
    expect(rows).toHaveLength(3);
    expect(rows[0]).toBe(CSV_COLUMNS.join(","));
    for (const row of rows) expect(row.split(",")).toHaveLength(CSV_COLUMNS.length);
  });
});
