/**
 * The per-connection chart of the HTML report, as inline SVG (no script, no external resource):
 * one panel per direction of data, each with the receiver's advertised window (scaled, a step
 * line) over the sender's bytes in flight (a filled step area), the stretches where that window
 * was zero shaded, and the handshake, zero-window episodes and findings marked across both.
 * Long series are thinned per pixel column keeping the first, lowest, highest and last point, so
 * that a one-packet spike or dip still shows.
 */
import type { Timeline } from "../connections/summary.js";

export type Point = [t: number, value: number];

/** Text for SVG and HTML: & < > " ' escaped, so it is safe in element content and in attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Thin a time-ordered series to at most four points per column of `columns` equal slices of
 * [t0, t1]: the first, the lowest, the highest and the last of each (in time order, without
 * duplicates). Drawn as a step line, the result looks the same as the full series at that resolution.
 */
export function thinMinMax(points: readonly Point[], t0: number, t1: number, columns: number): Point[] {
  if (points.length <= 4 || columns <= 0) return points.slice();
  const span = t1 - t0;
  const col = (t: number) =>
    span > 0 ? Math.min(columns - 1, Math.max(0, Math.floor(((t - t0) / span) * columns))) : 0;
  const out: Point[] = [];
  let start = 0;
  while (start < points.length) {
    const c = col(points[start]![0]);
    let end = start + 1;
    let lo = start;
    let hi = start;
    while (end < points.length && col(points[end]![0]) === c) {
      if (points[end]![1] < points[lo]![1]) lo = end;
      if (points[end]![1] > points[hi]![1]) hi = end;
      end++;
    }
    for (const i of [...new Set([start, lo, hi, end - 1])].sort((a, b) => a - b)) out.push(points[i]!);
    start = end;
  }
  return out;
}

export interface ChartLabels {
  /** How to name each side, e.g. "client 198.18.1.2:44620". */
  client: string;
  server: string;
}

export interface ChartOptions {
  labels: ChartLabels;
  /** Unique within the page (used for element ids). */
  id: string;
  /** Seconds the connection lasted: the right end of the time axis (else the last point or event). */
  durationS?: number | null;
  /** viewBox width; the SVG scales to its container. */
  width?: number;
}

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\"";
const COLORS = {
  window: "#1f5fbf",
  flight: "#e8710a",
  zero: "#d93025",
  handshake: "#5f6368",
  finding: "#a50e0e",
  grid: "#e3e6ea",
  axis: "#80868b",
  text: "#3c4043",
};
const MARGIN = { left: 72, right: 24, top: 44, bottom: 34 };
const PANEL = { title: 24, plot: 150, gap: 18 };
/** Rough width of a character of 11-12 px text, to keep labels apart. */
const CHAR_W = 6.4;

interface Panel {
  title: string;
  window: Point[];
  windowLabel: string;
  flight: Point[];
  flightLabel: string;
}

/** The chart for one connection's timeline, as an <svg> element. */
export function renderChartSvg(tl: Timeline, opts: ChartOptions): string {
  const width = opts.width ?? 960;
  const plotW = width - MARGIN.left - MARGIN.right;
  const panels: Panel[] = [
    {
      title: "Data client → server",
      window: tl.serverWindow,
      windowLabel: "server's advertised window",
      flight: tl.clientInFlight,
      flightLabel: "client's bytes in flight",
    },
    {
      title: "Data server → client",
      window: tl.clientWindow,
      windowLabel: "client's advertised window",
      flight: tl.serverInFlight,
      flightLabel: "server's bytes in flight",
    },
  ];
  const lastT = Math.max(
    0,
    ...[tl.clientWindow, tl.serverWindow, tl.clientInFlight, tl.serverInFlight].map((s) => s[s.length - 1]?.[0] ?? 0),
    ...tl.events.map((e) => e.t),
  );
  const tEnd = Math.max(opts.durationS ?? 0, lastT) || 0.001;
  const x = (t: number) => MARGIN.left + (Math.min(Math.max(t, 0), tEnd) / tEnd) * plotW;
  const height =
    MARGIN.top + panels.length * (PANEL.title + PANEL.plot) + (panels.length - 1) * PANEL.gap + MARGIN.bottom;
  const id = opts.id.replace(/[^A-Za-z0-9_-]/g, "_");
  const xTicks = timeTicks(tEnd);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-labelledby="${id}-title" ${FONT} font-size="12">`,
    `<title id="${id}-title">${escapeXml(`Advertised receive window and bytes in flight over time, ${opts.labels.client} and ${opts.labels.server}`)}</title>`,
  );
  let top = MARGIN.top;
  const legends: string[] = [];
  panels.forEach((p, i) => {
    const plotTop = top + PANEL.title;
    const bottom = plotTop + PANEL.plot;
    const scale = yScale(p, plotTop, bottom);
    const { y, ticks: yTicks } = scale;
    const clip = `${id}-clip${i}`;
    parts.push(
      `<g class="panel" data-panel="${i}">`,
      `<clipPath id="${clip}"><rect x="${MARGIN.left}" y="${plotTop - 1}" width="${plotW}" height="${PANEL.plot + 2}"/></clipPath>`,
    );
    // Grid and axes.
    for (const t of yTicks) {
      const yy = r(y(t.value));
      parts.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`,
        `<text x="${MARGIN.left - 6}" y="${yy + 4}" text-anchor="end" fill="${COLORS.text}">${escapeXml(t.label)}</text>`,
      );
    }
    for (const t of xTicks) {
      const xx = r(x(t.value));
      parts.push(`<line x1="${xx}" x2="${xx}" y1="${plotTop}" y2="${bottom}" stroke="${COLORS.grid}"/>`);
      if (i === panels.length - 1)
        parts.push(
          `<text x="${xx}" y="${bottom + 16}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(t.label)}</text>`,
        );
    }
    // Where the receiver's window was zero: the sender could not send.
    for (const [a, b] of zeroStretches(p.window, tEnd)) {
      const x0 = x(a);
      const w = Math.max(2, x(b) - x0);
      parts.push(
        `<rect class="zero-window" x="${r(x0)}" y="${plotTop}" width="${r(w)}" height="${PANEL.plot}" fill="${COLORS.zero}" fill-opacity="0.14"><title>zero window from ${escapeXml(fmtTime(a))} to ${escapeXml(fmtTime(b))}</title></rect>`,
      );
    }
    const flight = thinMinMax(p.flight, 0, tEnd, plotW);
    const win = thinMinMax(p.window, 0, tEnd, plotW);
    if (flight.length > 0) {
      const d = stepPath(flight, x, y, tEnd);
      parts.push(
        `<path class="series-flight" d="${d} V${r(bottom)} H${r(x(flight[0]![0]))} Z" fill="${COLORS.flight}" fill-opacity="0.28" stroke="none" clip-path="url(#${clip})"/>`,
        `<path class="series-flight-line" d="${d}" fill="none" stroke="${COLORS.flight}" stroke-width="1.5" clip-path="url(#${clip})"/>`,
      );
    }
    if (win.length > 0)
      parts.push(
        `<path class="series-window" d="${stepPath(win, x, y, tEnd)}" fill="none" stroke="${COLORS.window}" stroke-width="2" stroke-linejoin="round" clip-path="url(#${clip})"/>`,
      );
    if (flight.length === 0 && win.length === 0)
      parts.push(
        `<text x="${r(MARGIN.left + plotW / 2)}" y="${r(plotTop + PANEL.plot / 2)}" text-anchor="middle" fill="${COLORS.axis}">no window or data recorded in this direction</text>`,
      );
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${bottom}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
      `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${plotTop}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
      "</g>",
    );
    legends.push(legend(p, scale.log, MARGIN.left, top + 15));
    top = bottom + PANEL.gap;
  });
  const plotBottom = top - PANEL.gap;
  parts.push(...markers(tl.events, x, MARGIN.top - 4, plotBottom));
  // Titles and legends last, on a white halo, so that marker lines pass behind them.
  parts.push(...legends);
  parts.push(
    `<text x="${MARGIN.left + plotW}" y="${plotBottom + 30}" text-anchor="end" fill="${COLORS.axis}">time since the connection's first packet</text>`,
    "</svg>",
  );
  return parts.join("\n");
}

function legend(p: Panel, log: boolean, left: number, baseline: number): string {
  const max = (s: Point[]) => (s.length === 0 ? "none seen" : `max ${fmtBytes(Math.max(...s.map((q) => q[1])))}`);
  const halo = 'stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"';
  const title = `${p.title}${log ? " (log scale)" : ""}`;
  let xx = left;
  const out = [
    `<text class="panel-title" x="${xx}" y="${baseline}" font-weight="600" fill="${COLORS.text}" ${halo}>${escapeXml(title)}</text>`,
  ];
  xx += title.length * CHAR_W * 1.08 + 18;
  const item = (swatch: string, text: string) => {
    out.push(
      swatch.replace(/\{x\}/g, String(r(xx))),
      `<text x="${r(xx + 22)}" y="${baseline}" fill="${COLORS.text}" ${halo}>${escapeXml(text)}</text>`,
    );
    xx += 22 + text.length * CHAR_W + 18;
  };
  item(
    `<line x1="{x}" x2="${r(xx + 16)}" y1="${baseline - 4}" y2="${baseline - 4}" stroke="${COLORS.window}" stroke-width="2"/>`,
    `${p.windowLabel} (${max(p.window)})`,
  );
  item(
    `<rect x="{x}" y="${baseline - 10}" width="16" height="10" fill="${COLORS.flight}" fill-opacity="0.4" stroke="${COLORS.flight}"/>`,
    `${p.flightLabel} (${max(p.flight)})`,
  );
  return `<g class="legend">${out.join("\n")}</g>`;
}

interface YScale {
  y(v: number): number;
  ticks: Tick[];
  log: boolean;
}

/**
 * Linear from 0, unless the window and the bytes in flight are so far apart (32 times or more)
 * that the smaller would be a flat line on the axis: then logarithmic in powers of 16 bytes
 * (1 B, 16 B, 256 B, 4 KiB, 64 KiB, ...), zero drawn on the axis with 1 B. A sender that sent
 * no data (at most a SYN or FIN: 1 byte in flight) keeps the linear scale.
 */
function yScale(p: Panel, top: number, bottom: number): YScale {
  const max = (s: Point[]) => Math.max(0, ...s.map((q) => q[1]));
  const w = max(p.window);
  const f = max(p.flight);
  const h = bottom - top;
  if (w > 0 && f > 1 && Math.max(w, f) / Math.min(w, f) >= 32) {
    const decades = Math.max(1, Math.ceil(Math.log(Math.max(w, f)) / Math.log(16) - 1e-9));
    const ticks: Tick[] = [];
    for (let k = 0; k <= decades; k++) ticks.push({ value: 16 ** k, label: k === 0 ? "≤1 B" : fmtBytes(16 ** k) });
    const y = (v: number) => bottom - (Math.log(Math.max(v, 1)) / Math.log(16) / decades) * h;
    return { y, ticks, log: true };
  }
  const ticks = byteTicks(Math.max(1, w, f));
  const yTop = ticks[ticks.length - 1]!.value;
  return { y: (v: number) => bottom - (v / yTop) * h, ticks, log: false };
}

/** Vertical marks across both panels, labelled in the band above when there is room. */
function markers(events: Timeline["events"], x: (t: number) => number, labelY: number, bottom: number): string[] {
  const out: string[] = [];
  const rows = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  const ordered = [...events].sort((a, b) => a.t - b.t);
  for (const e of ordered) {
    const xx = r(x(e.t));
    const color = e.kind === "handshake" ? COLORS.handshake : e.kind === "zero-window" ? COLORS.zero : COLORS.finding;
    const dash =
      e.kind === "handshake" ? ' stroke-dasharray="4 3"' : e.kind === "zero-window" ? ' stroke-dasharray="2 2"' : "";
    const text = e.kind === "handshake" ? "handshake" : e.label;
    const tip = `${e.kind}: ${e.label} (frame ${e.frame}, ${fmtTime(e.t)})`;
    out.push(
      `<g class="marker marker-${e.kind}"><title>${escapeXml(tip)}</title>`,
      `<line x1="${xx}" x2="${xx}" y1="${labelY + 4}" y2="${bottom}" stroke="${color}" stroke-width="1.25"${dash}/>`,
      `<path d="M${xx - 4} ${labelY + 1} h8 l-4 6 z" fill="${color}"/>`,
    );
    // Two rows of labels; a label that fits in neither is left to the tooltip and the list below the chart.
    const w = Math.min(text.length, 48) * CHAR_W;
    const row = rows.findIndex((end) => xx - w / 2 > end + 6);
    if (row >= 0) {
      const anchorX = Math.max(w / 2 + 2, xx);
      rows[row] = anchorX + w / 2;
      const label = text.length > 48 ? `${text.slice(0, 47)}…` : text;
      out.push(
        `<text x="${r(anchorX)}" y="${labelY - 6 - row * 14}" text-anchor="middle" font-size="11" fill="${color}">${escapeXml(label)}</text>`,
      );
    }
    out.push("</g>");
  }
  return out;
}

/** A step line: each value holds until the next point, the last until `tEnd`. */
function stepPath(points: Point[], x: (t: number) => number, y: (v: number) => number, tEnd: number): string {
  const first = points[0]!;
  let d = `M${r(x(first[0]))} ${r(y(first[1]))}`;
  for (let i = 1; i < points.length; i++) d += ` H${r(x(points[i]![0]))} V${r(y(points[i]![1]))}`;
  return `${d} H${r(x(tEnd))}`;
}

/** [from, to] stretches during which the series was 0. */
export function zeroStretches(points: readonly Point[], tEnd: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < points.length; i++) {
    if (points[i]![1] !== 0) continue;
    const from = points[i]![0];
    while (i + 1 < points.length && points[i + 1]![1] === 0) i++;
    const to = i + 1 < points.length ? points[i + 1]![0] : tEnd;
    out.push([from, to]);
  }
  return out;
}

interface Tick {
  value: number;
  label: string;
}

function niceStep(span: number, target: number): number {
  const raw = span / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw) return m * mag;
  return 10 * mag;
}

/** 0 to at least `max` in whole B, KiB, MiB or GiB, at most five steps of a size friendly to binary sizes. */
export function byteTicks(max: number): Tick[] {
  const units: [number, string][] = [
    [1024 ** 3, "GiB"],
    [1024 ** 2, "MiB"],
    [1024, "KiB"],
    [1, "B"],
  ];
  const [unit, name] = units.find(([u]) => max >= u) ?? [1, "B"];
  const m = max / unit;
  const steps = [1, 2, 4, 5, 8, 10, 16, 20, 25, 32, 40, 50, 64, 100, 128, 200, 250, 256, 500, 512, 1000, 1024];
  const step = steps.find((st) => Math.ceil(m / st - 1e-9) <= 5) ?? 1024;
  const ticks: Tick[] = [];
  for (let k = 0; ; k++) {
    const n = k * step;
    ticks.push({ value: n * unit, label: n === 0 ? "0" : `${n} ${name}` });
    if (n >= m - 1e-9) break;
  }
  return ticks;
}

/** Ticks from 0 to `end` seconds, labelled in ms below a second's step. */
export function timeTicks(end: number): Tick[] {
  const step = niceStep(end, 8);
  const ticks: Tick[] = [];
  for (let i = 0; i * step <= end * (1 + 1e-9); i++) {
    const v = Number((i * step).toFixed(9));
    ticks.push({ value: v, label: fmtTick(v, end) });
  }
  return ticks;
}

/** Milliseconds on an axis shorter than a second, else seconds. */
function fmtTick(v: number, end: number): string {
  if (v === 0) return "0";
  return end < 1 ? `${Number((v * 1000).toFixed(3))} ms` : `${Number(v.toFixed(3))} s`;
}

function fmtTime(t: number): string {
  return t < 1 ? `${Number((t * 1000).toFixed(3))} ms` : `${Number(t.toFixed(3))} s`;
}

function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Number((n / 1024).toFixed(1))} KiB`;
  return `${Number((n / 1024 / 1024).toFixed(1))} MiB`;
}

function r(v: number): number {
  return Math.round(v * 10) / 10;
}
