/** Markdown for a ticket: a short summary table, the bottom line up top, fixes folded in <details>. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type AnalysisReport, analyze } from "../src/analysis/analyze.js";
import { renderMarkdown } from "../src/report/markdown.js";
import { ROOT } from "./helpers/bin.js";

async function seed(): Promise<AnalysisReport> {
  const r = await analyze([join(ROOT, "captures/rewrite-syn-0.client.pcap")], { idleTimeout: 300 });
  r.inputs[0]!.path = "captures/rewrite-syn-0.client.pcap";
  r.findings.find((f) => f.id === "scale-rewritten")!.readAs ??= [{ side: "client", applied: 10, readWith: 0 }];
  return r;
}

describe("Markdown", () => {
  it("a summary table of six columns, the client's windows read as 0", async () => {
    const md = renderMarkdown(await seed());
    const header = md.split("\n").find((l) => l.startsWith("| id |"))!;
    expect(header).toBe("| id | client → server | wscale c / s | window c / s | throughput / ceiling | verdict |");
    expect(md).toContain(
      "| c1 | `198.18.1.2:44620` → `198.18.2.2:80` | 10 · read as 0 / 10 | 63 KiB / 64 KiB | 24.1 kbit/s / 24.7 Mbit/s at 20.9 ms | **scale-rewritten** (error) |",
    );
    expect(md).toContain("*read as N*: its peer reads that side's windows with shift N");
  });

  it("the bottom line before the details", async () => {
    const md = renderMarkdown(await seed());
    const lines = md.split("\n");
    expect(lines[4]).toMatch(
      /^\*\*Bottom line\*\*: `scale-rewritten` \(error, likely\) on 1 connection\. A box on the path/,
    );
    expect(lines.indexOf(lines[4]!)).toBeLessThan(lines.indexOf("## Inputs"));
  });

  it("every fix inside one <details> per finding, none outside", async () => {
    const r = await seed();
    const md = renderMarkdown(r);
    const open = md.indexOf("<details>");
    const close = md.indexOf("</details>");
    expect(open).toBeGreaterThan(md.indexOf("Evidence:"));
    const inside = md.slice(open, close);
    const n = r.findings[0]!.advice.length;
    expect(inside).toContain(`<summary>${n} fixes (path, sysctl, route), the most targeted first</summary>`);
    expect(inside.match(/^\*\*Fix \d+ /gm)).toHaveLength(n);
    expect((md.slice(0, open) + md.slice(close)).match(/\*\*Fix \d+ /g)).toBeNull();
  });

  it("advice text cannot close the details block or open another tag", async () => {
    const r = await seed();
    r.findings[0]!.advice = [
      { kind: "path", command: "</details><script>x</script>", why: "<b>bold</b>" },
      { kind: "sysctl", command: "echo '</details>'", why: "w" },
    ];
    const md = renderMarkdown(r);
    expect(md.match(/^<\/details>$/gm)).toHaveLength(1);
    expect(md).toContain("\\</details>\\<script>x\\</script>");
    expect(md).toContain("```sh\necho '</details>'\n```");
  });
});
