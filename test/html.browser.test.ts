/**
 * The HTML report in a real browser: Debian's chromium, headless, renders the report of the seed
 * capture. It must lay out (a non-trivial screenshot), log nothing to the console (no script
 * error, no resource refused by the page's Content-Security-Policy), and have its SVG charts in the
 * DOM. At 400 px (a phone) the page must not scroll sideways and the charts' text must stay
 * legible. Skips with a message when chromium is not installed (`apt-get install -y chromium`),
 * except in CI (CI=1), where a missing browser fails. Screenshots go to a temporary directory
 * (its path is printed), never into the repository.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { inflateSync } from "node:zlib";
import { afterAll, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";
import { requireThat } from "./helpers/tools.js";

const CAPTURE = join(ROOT, "captures/rewrite-syn-0.client.pcap");

/** $WSCALE_CHROMIUM names another Chromium-based browser (or, pointing nowhere, forces the skip). */
function findChromium(): string | null {
  const forced = process.env.WSCALE_CHROMIUM;
  if (forced !== undefined) return existsSync(forced) ? forced : null;
  for (const name of ["chromium", "chromium-browser"]) {
    const r = spawnSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

const CHROMIUM = findChromium();
const dir = mkdtempSync(join(tmpdir(), "wscale-html-browser-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const browser = requireThat(CHROMIUM === null ? ["chromium"] : [], "needs chromium (apt-get install -y chromium)");

/** Run headless chromium on a file with a fresh profile; returns its stdout and stderr (the console log). */
function chromium(page: string, extra: string[]): { stdout: string; stderr: string; status: number | null } {
  const profile = mkdtempSync(join(dir, "profile-"));
  try {
    const r = spawnSync(
      CHROMIUM!,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        `--user-data-dir=${profile}`,
        "--enable-logging=stderr",
        "--v=0",
        ...extra,
        pathToFileURL(page).href,
      ],
      { encoding: "utf8", timeout: 90_000, maxBuffer: 64 << 20 },
    );
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Console messages (console.error, uncaught exceptions, CSP refusals) in chromium's log. */
function consoleProblems(log: string): string[] {
  return log.split("\n").filter((l) => /:CONSOLE|Uncaught|Refused to|Content Security Policy/.test(l));
}

interface Measured {
  innerWidth: number;
  scrollWidth: number;
  /** Height of the smallest chart text shown, in CSS pixels. */
  chartText: number;
  wideShown: boolean;
}

interface Png {
  width: number;
  height: number;
  pixels: Buffer;
}

function readPng(path: string): Png {
  const b = readFileSync(path);
  expect(b.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
  let off = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (off < b.length) {
    const len = b.readUInt32BE(off);
    const type = b.toString("latin1", off + 4, off + 8);
    const data = b.subarray(off + 8, off + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
    } else if (type === "IDAT") idat.push(data);
    off += 12 + len;
  }
  return { width, height, pixels: inflateSync(Buffer.concat(idat)) };
}

browser.describe("the HTML report in headless chromium", () => {
  it("the console check itself catches a script error (control)", () => {
    const bad = join(dir, "bad.html");
    writeFileSync(bad, '<!doctype html><p>x</p><script>console.error("control error"); notDefined();</script>');
    const r = chromium(bad, ["--dump-dom"]);
    expect(consoleProblems(r.stderr).join("\n")).toMatch(/control error|Uncaught/);
  });

  it("renders the seed capture's report: a real screenshot, charts in the DOM, nothing on the console", () => {
    const page = join(dir, "report.html");
    const built = spawnSync(process.execPath, [BIN, "analyze", CAPTURE, "--format", "html", "-o", page], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(built.status, built.stderr).toBe(1); // the seed case is an error finding
    expect(existsSync(page)).toBe(true);

    const shot = join(dir, "report.png");
    const r = chromium(page, [`--screenshot=${shot}`, "--window-size=1280,2000", "--hide-scrollbars"]);
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    expect(consoleProblems(r.stderr)).toEqual([]);
    expect(existsSync(shot)).toBe(true);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    const png = readPng(shot);
    expect([png.width, png.height]).toEqual([1280, 2000]);
    // Not a blank page: many distinct byte values, and a good share of non-white pixels' bytes.
    expect(new Set(png.pixels).size).toBeGreaterThan(64);
    let dark = 0;
    for (const v of png.pixels) if (v < 0xf0) dark++;
    expect(dark / png.pixels.length).toBeGreaterThan(0.02);
    console.info(`screenshot: ${shot}`);

    const dom = chromium(page, ["--dump-dom"]);
    expect(consoleProblems(dom.stderr)).toEqual([]);
    const html = dom.stdout;
    expect(html).toContain("scale-rewritten");
    // Windows and flight, the time-sequence graph and its zoom; each drawn for a page and for a phone.
    expect(html.match(/<svg[^>]*class="chart"/g)).toHaveLength(2);
    expect(html.match(/<svg[^>]*class="chart seqgraph"/g)).toHaveLength(4);
    // The client sent no data: one line for that direction, one panel for the server's data.
    expect(html.match(/class="series-window"/g)).toHaveLength(2);
    expect(html.match(/class="panel-empty"/g)).toHaveLength(2);
    expect(html).toContain('class="series-flight"');
    expect(html).toContain('class="marker marker-handshake"');
    expect(html).toContain('class="marker marker-finding"');
    expect(html).not.toContain("No timeline was recorded");
    expect(html).not.toMatch(/<script/i);
  }, 120_000);

  /**
   * Measures in the page itself at `width` CSS pixels. Headless chromium makes no window
   * narrower than 500 px, so the page is shown in an iframe of that width: a copy of it (in the
   * copy only without the policy that forbids scripts) gets a script that posts what it measured
   * to the wrapper page, which writes it into the DOM that chromium dumps.
   */
  function measureAt(width: number, page: string): Measured {
    const probe = join(dir, `probe-${width}.html`);
    const script = `<script>
      const shown = (el) => el.getClientRects().length > 0;
      const texts = [...document.querySelectorAll(".chart-narrow svg text, .chart-wide svg text")].filter(shown);
      const heights = texts.map((t) => t.getBoundingClientRect().height).filter((h) => h > 0);
      parent.postMessage({
        innerWidth,
        scrollWidth: document.documentElement.scrollWidth,
        chartText: heights.length ? Math.min(...heights) : 0,
        wideShown: [...document.querySelectorAll(".chart-wide")].some(shown),
      }, "*");
    </script>`;
    const html = readFileSync(page, "utf8")
      .replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "")
      .replace("</body>", `${script}</body>`);
    writeFileSync(probe, html);
    const wrapper = join(dir, `wrapper-${width}.html`);
    writeFileSync(
      wrapper,
      `<!doctype html><body style="margin:0"><script>addEventListener("message", (e) => { document.body.dataset.result = JSON.stringify(e.data); });</script><iframe src="${pathToFileURL(probe).href}" width="${width}" height="1000" style="border:0"></iframe></body>`,
    );
    const r = chromium(wrapper, [
      `--window-size=${Math.max(600, width + 40)},1000`,
      "--virtual-time-budget=5000",
      "--dump-dom",
    ]);
    const json = /data-result="([^"]*)"/.exec(r.stdout)?.[1]?.replace(/&quot;/g, '"');
    expect(json, r.stderr.slice(-2000)).toBeDefined();
    return JSON.parse(json!) as Measured;
  }

  it("at 400 px: nothing scrolls sideways, the phone-sized charts are shown, their text legible", () => {
    const page = join(dir, "report400.html");
    const built = spawnSync(process.execPath, [BIN, "analyze", CAPTURE, "--format", "html", "-o", page], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(built.status, built.stderr).toBe(1);
    // Control: the probe sees an overflow where there is one.
    const wide = join(dir, "wide.html");
    writeFileSync(
      wide,
      '<!doctype html><meta name="viewport" content="width=device-width"><body><div style="width:700px">x</div></body>',
    );
    expect(measureAt(400, wide)).toMatchObject({ innerWidth: 400, scrollWidth: 708 });

    const phone = measureAt(400, page);
    expect(phone.innerWidth).toBe(400);
    expect(phone.scrollWidth).toBeLessThanOrEqual(400);
    expect(phone.wideShown).toBe(false);
    expect(phone.chartText).toBeGreaterThanOrEqual(9);
    const desktop = measureAt(1280, page);
    expect(desktop.wideShown).toBe(true);
    expect(desktop.chartText).toBeGreaterThanOrEqual(9);

    const shot = join(dir, "report400.png");
    const r = chromium(join(dir, "wrapper-400.html"), [`--screenshot=${shot}`, "--window-size=500,1000"]);
    expect(r.status).toBe(0);
    console.info(`screenshot of the page at 400 px (in a 500 px window): ${shot}`);
  }, 180_000);
});
