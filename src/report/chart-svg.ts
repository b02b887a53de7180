/**
 * The per-connection charts of the HTML report, as inline SVG (no script, no external resource).
 * Windows and bytes in flight: one panel per direction of data, each with the receiver's
 * advertised window (scaled, a step line) over the sender's bytes in flight (a filled step area),
 * where a finding proved it the window as the sender really reads it (the crawl), the stretches
 * where that window was zero shaded, and the handshake, zero-window episodes and findings marked
 * across both; a direction without data is one line. The time-sequence graph (tcptrace's):
 * sequence numbers sent over time, the ACK line, the advertised window edge as the receiver means
 * it and as the sender reads it, retransmissions and zero windows marked. Long series are thinned
 * per pixel column keeping the first, lowest, highest and last point, so that a one-packet spike
 * or dip still shows.
 */
import type { Timeline } from "../connections/summary.js";
import type { SequenceData } from "../connections/timeline.js";

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
  /** viewBox width; the SVG scales to its container. A narrow one (~440) stays legible on a phone. */
  width?: number;
  /** Sides whose windows their peer reads with another shift than the one they apply (Finding.readAs). */
  readAs?: { client?: ShiftPair; server?: ShiftPair };
}

/**
 * A side's windows: the shift the timeline's series of them is scaled with (what the capture
 * shows), the shift the side really applies, and the one its peer reads them with.
 */
export interface ShiftPair {
  shown: number;
  applied: number;
  readWith: number;
}

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\"";
const COLORS = {
  window: "#1f5fbf",
  read: "#c5221f",
  meant: "#7b1fa2",
  ack: "#188038",
  edge: "#b08800",
  segment: "#1f3b73",
  flight: "#e8710a",
  zero: "#d93025",
  handshake: "#5f6368",
  finding: "#a50e0e",
  grid: "#e3e6ea",
  axis: "#80868b",
  text: "#3c4043",
};
const MARGIN = { left: 72, right: 24, top: 44, bottom: 34 };
const PANEL = { plot: 150, gap: 18, collapsed: 22 };
/** Height of one line of a panel's title and legend. */
const LEGEND_LINE = 16;
/** Rough width of a character of 11-12 px text, to keep labels apart. */
const CHAR_W = 6.4;

interface Panel {
  title: string;
  window: Point[];
  windowLabel: string;
  /** The same window as the receiver means it and as the sender reads it, where a finding proved another shift. */
  meant: Point[] | null;
  meantLabel: string;
  read: Point[] | null;
  readLabel: string;
  flight: Point[];
  flightLabel: string;
}

/** A window series drawn with `shift` instead of the one it was recorded with; null where that is the same. */
function rescaled(points: Point[], pair: ShiftPair | undefined, shift: "applied" | "readWith"): Point[] | null {
  if (!pair || pair[shift] === pair.shown) return null;
  const f = 2 ** (pair[shift] - pair.shown);
  return points.map(([t, v]) => [t, Math.floor(v * f)]);
}

/** No data went this way: nothing but SYN, FIN or pure ACKs (bytes in flight count data only). */
function isEmpty(p: Panel): boolean {
  return p.flight.every(([, v]) => v === 0);
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
      meant: rescaled(tl.serverWindow, opts.readAs?.server, "applied"),
      meantLabel: `as the server means it (shift ${opts.readAs?.server?.applied})`,
      read: rescaled(tl.serverWindow, opts.readAs?.server, "readWith"),
      readLabel: `as the client reads it (shift ${opts.readAs?.server?.readWith})`,
      flight: tl.clientInFlight,
      flightLabel: "client's bytes in flight",
    },
    {
      title: "Data server → client",
      window: tl.clientWindow,
      windowLabel: "client's advertised window",
      meant: rescaled(tl.clientWindow, opts.readAs?.client, "applied"),
      meantLabel: `as the client means it (shift ${opts.readAs?.client?.applied})`,
      read: rescaled(tl.clientWindow, opts.readAs?.client, "readWith"),
      readLabel: `as the server reads it (shift ${opts.readAs?.client?.readWith})`,
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
  const id = opts.id.replace(/[^A-Za-z0-9_-]/g, "_");
  const xTicks = timeTicks(tEnd, plotW);
  const body: string[] = [];
  const legends: string[] = [];
  let top = MARGIN.top;
  let plotTop0 = Number.NaN;
  let plotBottom = MARGIN.top;
  const drawn = panels.filter((p) => !isEmpty(p));
  panels.forEach((p, i) => {
    if (isEmpty(p)) {
      // One line instead of an empty panel: what little there is (the receiver's window) in words.
      const most = (s: Point[]) => fmtBytes(Math.max(...s.map((q) => q[1])));
      const meant = p.meant && p.meant.length > 0 ? ` (${most(p.meant)} ${p.meantLabel})` : "";
      // A phone-sized chart has room for the words only.
      const max = p.window.length > 0 && width >= 600 ? `; the ${p.windowLabel} reached ${most(p.window)}${meant}` : "";
      legends.push(
        `<text class="panel-empty" x="${MARGIN.left}" y="${top + 14}" fill="${COLORS.axis}" ${HALO}><tspan font-weight="600" fill="${COLORS.text}">${escapeXml(p.title)}</tspan>: ${escapeXml(`no data${max}`)}</text>`,
      );
      top += PANEL.collapsed + (i < panels.length - 1 ? PANEL.gap / 2 : 0);
      return;
    }
    const lg = legend(p, isLogScale(p), MARGIN.left, top + 15, width - MARGIN.right);
    const plotTop = top + lg.height;
    const bottom = plotTop + PANEL.plot;
    const scale = yScale(p, plotTop, bottom);
    const { y, ticks: yTicks } = scale;
    if (Number.isNaN(plotTop0)) plotTop0 = plotTop;
    const clip = `${id}-clip${i}`;
    body.push(
      `<g class="panel" data-panel="${i}">`,
      `<clipPath id="${clip}"><rect x="${MARGIN.left}" y="${plotTop - 1}" width="${plotW}" height="${PANEL.plot + 2}"/></clipPath>`,
    );
    for (const t of yTicks) {
      const yy = r(y(t.value));
      body.push(
        `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`,
        `<text x="${MARGIN.left - 6}" y="${yy + 4}" text-anchor="end" fill="${COLORS.text}">${escapeXml(t.label)}</text>`,
      );
    }
    for (const t of xTicks) {
      const xx = r(x(t.value));
      body.push(`<line x1="${xx}" x2="${xx}" y1="${plotTop}" y2="${bottom}" stroke="${COLORS.grid}"/>`);
      if (p === drawn[drawn.length - 1])
        body.push(
          `<text x="${xx}" y="${bottom + 16}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(t.label)}</text>`,
        );
    }
    // Where the receiver's window was zero: the sender could not send.
    for (const [a, b] of zeroStretches(p.window, tEnd)) {
      const x0 = x(a);
      const w = Math.max(2, x(b) - x0);
      body.push(
        `<rect class="zero-window" x="${r(x0)}" y="${plotTop}" width="${r(w)}" height="${PANEL.plot}" fill="${COLORS.zero}" fill-opacity="0.14"><title>zero window from ${escapeXml(fmtTime(a))} to ${escapeXml(fmtTime(b))}</title></rect>`,
      );
    }
    const flight = thinMinMax(p.flight, 0, tEnd, plotW);
    const win = thinMinMax(p.window, 0, tEnd, plotW);
    if (flight.length > 0) {
      const d = stepPath(flight, x, y, tEnd);
      body.push(
        `<path class="series-flight" d="${d} V${r(bottom)} H${r(x(flight[0]![0]))} Z" fill="${COLORS.flight}" fill-opacity="0.28" stroke="none" clip-path="url(#${clip})"/>`,
        `<path class="series-flight-line" d="${d}" fill="none" stroke="${COLORS.flight}" stroke-width="1.5" clip-path="url(#${clip})"/>`,
      );
    }
    if (win.length > 0)
      body.push(
        `<path class="series-window" d="${stepPath(win, x, y, tEnd)}" fill="none" stroke="${COLORS.window}" stroke-width="2" stroke-linejoin="round" clip-path="url(#${clip})"/>`,
      );
    if (p.meant && p.meant.length > 0)
      body.push(
        `<path class="series-meant" d="${stepPath(thinMinMax(p.meant, 0, tEnd, plotW), x, y, tEnd)}" fill="none" stroke="${COLORS.meant}" stroke-width="2" stroke-dasharray="2 3" clip-path="url(#${clip})"/>`,
      );
    if (p.read && p.read.length > 0)
      body.push(
        `<path class="series-read" d="${stepPath(thinMinMax(p.read, 0, tEnd, plotW), x, y, tEnd)}" fill="none" stroke="${COLORS.read}" stroke-width="2" stroke-dasharray="6 3" clip-path="url(#${clip})"/>`,
      );
    body.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${bottom}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
      `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${plotTop}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
      "</g>",
    );
    legends.push(lg.svg);
    plotBottom = bottom;
    top = bottom + PANEL.gap;
  });
  const height = drawn.length > 0 ? plotBottom + MARGIN.bottom : top + 8;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${r(height)}" width="100%" role="img" aria-labelledby="${id}-title" ${FONT} font-size="12">`,
    `<title id="${id}-title">${escapeXml(`Advertised receive window and bytes in flight over time, ${opts.labels.client} and ${opts.labels.server}`)}</title>`,
    ...body,
  ];
  if (drawn.length > 0) parts.push(...markers(tl.events, x, MARGIN.top - 4, plotBottom, width));
  // Titles and legends last, on a white halo, so that marker lines pass behind them.
  parts.push(...legends);
  if (drawn.length > 0)
    parts.push(
      `<text x="${MARGIN.left + plotW}" y="${plotBottom + 30}" text-anchor="end" fill="${COLORS.axis}">time since the connection's first packet</text>`,
    );
  parts.push("</svg>");
  return parts.join("\n");
}

const HALO = 'stroke="#fff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"';

/**
 * A panel's title and legend, wrapped onto more lines where the chart is narrow; `height` is
 * the room they take above the plot.
 */
function legend(p: Panel, log: boolean, left: number, baseline: number, right: number) {
  const max = (s: Point[]) => (s.length === 0 ? "none seen" : `max ${fmtBytes(Math.max(...s.map((q) => q[1])))}`);
  const items: LegendItem[] = [
    { swatch: "line", color: COLORS.window, text: `${p.windowLabel} (${max(p.window)})` },
    ...(p.meant
      ? [{ swatch: "dot-line" as const, color: COLORS.meant, text: `${p.meantLabel} (${max(p.meant)})` }]
      : []),
    ...(p.read ? [{ swatch: "dash" as const, color: COLORS.read, text: `${p.readLabel} (${max(p.read)})` }] : []),
    { swatch: "area", color: COLORS.flight, text: `${p.flightLabel} (${max(p.flight)})` },
  ];
  return legendRows(`${p.title}${log ? " (log scale)" : ""}`, items, left, baseline, right);
}

interface LegendItem {
  swatch: "line" | "dash" | "dot-line" | "area" | "bar" | "dot";
  color: string;
  text: string;
}

function legendRows(title: string, items: LegendItem[], left: number, baseline: number, right: number) {
  let xx = left;
  let yy = baseline;
  const out = [
    `<text class="panel-title" x="${xx}" y="${yy}" font-weight="600" fill="${COLORS.text}" ${HALO}>${escapeXml(title)}</text>`,
  ];
  xx += title.length * CHAR_W * 1.08 + 18;
  for (const it of items) {
    const w = 22 + it.text.length * CHAR_W;
    if (xx + w > right && xx > left) {
      xx = left;
      yy += LEGEND_LINE;
    }
    const y0 = yy - 4;
    const sw =
      it.swatch === "area"
        ? `<rect x="${r(xx)}" y="${yy - 10}" width="16" height="10" fill="${it.color}" fill-opacity="0.4" stroke="${it.color}"/>`
        : it.swatch === "dot"
          ? `<circle cx="${r(xx + 8)}" cy="${y0}" r="3.5" fill="${it.color}"/>`
          : it.swatch === "bar"
            ? `<line x1="${r(xx + 8)}" x2="${r(xx + 8)}" y1="${yy - 11}" y2="${yy + 1}" stroke="${it.color}" stroke-width="2"/>`
            : `<line x1="${r(xx)}" x2="${r(xx + 16)}" y1="${y0}" y2="${y0}" stroke="${it.color}" stroke-width="2"${it.swatch === "dash" ? ' stroke-dasharray="6 3"' : it.swatch === "dot-line" ? ' stroke-dasharray="2 3"' : ""}/>`;
    out.push(sw, `<text x="${r(xx + 22)}" y="${yy}" fill="${COLORS.text}" ${HALO}>${escapeXml(it.text)}</text>`);
    xx += w + 18;
  }
  return { svg: `<g class="legend">${out.join("\n")}</g>`, height: yy - baseline + LEGEND_LINE + 12 };
}

interface YScale {
  y(v: number): number;
  ticks: Tick[];
}

/** The largest window (as advertised, or as meant) and the largest flight (or window as read) of a panel. */
function panelMax(p: Panel): { w: number; f: number } {
  const max = (s: Point[]) => Math.max(0, ...s.map((q) => q[1]));
  // The window as read is what the sender obeyed: it sits with the bytes in flight.
  return {
    w: Math.max(max(p.window), p.meant ? max(p.meant) : 0),
    f: Math.max(max(p.flight), p.read ? max(p.read) : 0),
  };
}

function isLogScale(p: Panel): boolean {
  const { w, f } = panelMax(p);
  return w > 0 && f > 1 && Math.max(w, f) / Math.min(w, f) >= 32;
}

/**
 * Linear from 0, unless the window and the bytes in flight are so far apart (32 times or more)
 * that the smaller would be a flat line on the axis: then logarithmic in powers of 16 bytes
 * (1 B, 16 B, 256 B, 4 KiB, 64 KiB, ...), zero drawn on the axis with 1 B. A sender that sent
 * no data (at most a SYN or FIN: 1 byte in flight) keeps the linear scale.
 */
function yScale(p: Panel, top: number, bottom: number): YScale {
  const { w, f } = panelMax(p);
  const h = bottom - top;
  if (isLogScale(p)) {
    const decades = Math.max(1, Math.ceil(Math.log(Math.max(w, f)) / Math.log(16) - 1e-9));
    const ticks: Tick[] = [];
    for (let k = 0; k <= decades; k++) ticks.push({ value: 16 ** k, label: k === 0 ? "≤1 B" : fmtBytes(16 ** k) });
    const y = (v: number) => bottom - (Math.log(Math.max(v, 1)) / Math.log(16) / decades) * h;
    return { y, ticks };
  }
  const ticks = byteTicks(Math.max(1, w, f));
  const yTop = ticks[ticks.length - 1]!.value;
  return { y: (v: number) => bottom - (v / yTop) * h, ticks };
}

/** Vertical marks across both panels, labelled in the band above when there is room. */
function markers(
  events: Timeline["events"],
  x: (t: number) => number,
  labelY: number,
  bottom: number,
  width: number,
): string[] {
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
    const anchorX = Math.min(Math.max(w / 2 + 2, xx), width - w / 2 - 2);
    const row = rows.findIndex((end) => anchorX - w / 2 > end + 6);
    if (row >= 0) {
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

export interface SequenceChartOptions {
  /** Unique within the page (used for element ids). */
  id: string;
  /** viewBox width; the SVG scales to its container. */
  width?: number;
  /** Seconds the connection lasted: the right end of the time axis. */
  durationS?: number | null;
  /** Who sends this data and who receives (and acknowledges) it, e.g. "server", "client". */
  sender: string;
  receiver: string;
  /** The shift the receiver applies to the windows it advertises (null: unknown, raw windows drawn). */
  shift: number | null;
  /** The shift the sender really reads those windows with, where a finding proved another. */
  readWith?: number;
  /** Only this stretch of time (seconds since the connection's first packet): a zoom on a few round trips. */
  zoom?: { from: number; to: number };
}

const SEQ = { top: 40, plot: 260, bottom: 34 };

/**
 * tcptrace's time-sequence graph of one direction of data, as SVG: each data segment a vertical
 * bar from its first to its last sequence number (retransmissions red), the receiver's ACK line,
 * the window edge it advertised (ack + window << shift) and, where a finding proved another
 * shift, the edge as the sender reads it: when the bars ride that line, the window is what
 * limits the transfer. ACKs with a zero window are dots on the ACK line.
 */
export function renderSequenceSvg(data: SequenceData, opts: SequenceChartOptions): string {
  const width = opts.width ?? 960;
  const plotW = width - MARGIN.left - MARGIN.right;
  const id = opts.id.replace(/[^A-Za-z0-9_-]/g, "_");
  const zoom = opts.zoom;
  // In a zoom: what falls in the stretch, and the last ACK before it (the line starts there).
  const segs = zoom ? data.segments.filter((q) => q[0] >= zoom.from && q[0] <= zoom.to) : data.segments;
  const acks = zoom ? acksIn(data.acks, zoom.from, zoom.to) : data.acks;
  const lastT = Math.max(0, segs[segs.length - 1]?.[0] ?? 0, acks[acks.length - 1]?.[0] ?? 0);
  const t0 = zoom?.from ?? 0;
  const tEnd = zoom?.to ?? (Math.max(opts.durationS ?? 0, lastT) || 0.001);
  const applied = opts.shift ?? 0;
  const read = opts.readWith !== undefined && opts.readWith !== applied ? opts.readWith : null;
  const edge = (shift: number): Point[] => acks.map(([t, ack, raw]) => [t, ack + raw * 2 ** shift]);
  const appliedEdge = edge(applied);
  const readEdge = read === null ? null : edge(read);
  // The y range: all data and ACKs, and the window edge the sender obeys up to half as much again
  // (a window far beyond the data would flatten the graph; it is clipped and said to be above).
  const dataLo = zoom ? Math.min(...segs.map((q) => q[1]), ...acks.map((q) => q[1])) : 0;
  const dataTop = Math.max(dataLo + 1, ...segs.map((q) => q[2]), ...acks.map((q) => q[1]));
  const obeyed = readEdge ?? appliedEdge;
  const span = dataTop - dataLo;
  const yTop = Math.max(dataTop, Math.min(Math.max(0, ...obeyed.map((q) => q[1])), dataTop + span / 2));
  const ticks = byteTicks(yTop - dataLo);
  const yLo = zoom ? Math.floor(dataLo / (ticks[1]?.value ?? 1)) * (ticks[1]?.value ?? 1) : 0;
  if (yLo + ticks[ticks.length - 1]!.value < yTop)
    ticks.push({ value: ticks[ticks.length - 1]!.value + (ticks[1]?.value ?? 1), label: "" });
  const title = `${zoom ? "Zoom on the first round trips" : "Time-sequence graph"}: data ${opts.sender} → ${opts.receiver}`;
  const items: LegendItem[] = [
    { swatch: "bar", color: COLORS.segment, text: `${opts.sender}'s data segments` },
    ...(segs.some((q) => q[3] === 1) ? [{ swatch: "bar" as const, color: COLORS.read, text: "retransmissions" }] : []),
    { swatch: "line", color: COLORS.ack, text: `${opts.receiver}'s ACKs` },
    {
      swatch: "line",
      color: COLORS.edge,
      text: `window edge as the ${opts.receiver} means it (${opts.shift === null ? "raw, shift unknown" : `shift ${applied}`})`,
    },
    ...(read !== null
      ? [{ swatch: "dash" as const, color: COLORS.read, text: `as the ${opts.sender} reads it (shift ${read})` }]
      : []),
    ...(acks.some((q) => q[2] === 0) ? [{ swatch: "dot" as const, color: COLORS.zero, text: "zero window" }] : []),
  ];
  const lg = legendRows(title, items, MARGIN.left, 18, width - MARGIN.right);
  const plotTop = Math.max(SEQ.top, lg.height + 8);
  const bottom = plotTop + SEQ.plot;
  const x = (t: number) => MARGIN.left + ((Math.min(Math.max(t, t0), tEnd) - t0) / (tEnd - t0)) * plotW;
  const yHi = yLo + ticks[ticks.length - 1]!.value;
  const y = (v: number) => bottom - (Math.max(0, v - yLo) / (yHi - yLo)) * SEQ.plot;
  const clip = `${id}-clip`;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart seqgraph" viewBox="0 0 ${width} ${bottom + SEQ.bottom}" width="100%" role="img" aria-labelledby="${id}-title" ${FONT} font-size="12">`,
    `<title id="${id}-title">${escapeXml(title)}</title>`,
    `<clipPath id="${clip}"><rect x="${MARGIN.left}" y="${plotTop - 1}" width="${plotW}" height="${SEQ.plot + 2}"/></clipPath>`,
  ];
  for (const t of ticks) {
    const yy = r(y(yLo + t.value));
    const label = yLo === 0 ? t.label : fmtBytes(yLo + t.value);
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="${COLORS.grid}"/>`,
      `<text x="${MARGIN.left - 6}" y="${yy + 4}" text-anchor="end" fill="${COLORS.text}">${escapeXml(label)}</text>`,
    );
  }
  for (const t of timeTicks(tEnd, plotW, t0)) {
    const xx = r(x(t.value));
    parts.push(
      `<line x1="${xx}" x2="${xx}" y1="${plotTop}" y2="${bottom}" stroke="${COLORS.grid}"/>`,
      `<text x="${xx}" y="${bottom + 16}" text-anchor="middle" fill="${COLORS.text}">${escapeXml(t.label)}</text>`,
    );
  }
  const step = (pts: Point[]) => stepPath(thinMinMax(pts, t0, tEnd, plotW), x, y, tEnd);
  if (acks.length > 0) {
    parts.push(
      `<path class="seq-edge" d="${step(appliedEdge)}" fill="none" stroke="${COLORS.edge}" stroke-width="1.5" clip-path="url(#${clip})"/>`,
    );
    if (readEdge)
      parts.push(
        `<path class="seq-edge-read" d="${step(readEdge)}" fill="none" stroke="${COLORS.read}" stroke-width="1.5" stroke-dasharray="6 3" clip-path="url(#${clip})"/>`,
      );
    parts.push(
      `<path class="seq-ack" d="${step(acks.map(([t, a]) => [t, a]))}" fill="none" stroke="${COLORS.ack}" stroke-width="1.5" clip-path="url(#${clip})"/>`,
    );
  }
  // Segments as one path each for new data and for retransmissions; a bar at least a pixel tall.
  const bars = (re: 0 | 1) =>
    segs
      .filter((q) => q[3] === re)
      .map(([t, a, b]) => {
        const y1 = y(a);
        const y2 = Math.min(y(b), y1 - 1);
        return `M${r(x(t))} ${r(y1)}V${r(y2)}`;
      })
      .join("");
  const fresh = bars(0);
  const again = bars(1);
  if (fresh)
    parts.push(
      `<path class="seq-data" d="${fresh}" stroke="${COLORS.segment}" stroke-width="1.5" clip-path="url(#${clip})"/>`,
    );
  if (again)
    parts.push(
      `<path class="seq-retransmit" d="${again}" stroke="${COLORS.read}" stroke-width="2.5" clip-path="url(#${clip})"/>`,
    );
  const zeros = acks.filter((q) => q[2] === 0);
  if (zeros.length > 0)
    parts.push(
      `<g class="seq-zero-window" fill="${COLORS.zero}">${zeros.map(([t, a]) => `<circle cx="${r(x(t))}" cy="${r(y(a))}" r="3"/>`).join("")}</g>`,
    );
  const over = Math.max(0, ...appliedEdge.map((q) => q[1])) > yHi;
  const caption = `sequence number relative to the ${opts.sender}'s SYN, over time${over ? "; the window edge runs above the graph" : ""}`;
  const short = `sequence numbers over time${over ? "; edge above the graph" : ""}`;
  parts.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${bottom}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${plotTop}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
    lg.svg,
    `<text x="${MARGIN.left + plotW}" y="${bottom + 30}" text-anchor="end" fill="${COLORS.axis}">${escapeXml(
      caption.length * CHAR_W <= plotW ? caption : short,
    )}</text>`,
    "</svg>",
  );
  return parts.join("\n");
}

/** ACKs within [from, to], led by the last one before `from` (where the line enters the stretch). */
function acksIn(acks: SequenceData["acks"], from: number, to: number): SequenceData["acks"] {
  let first = 0;
  while (first + 1 < acks.length && acks[first + 1]![0] < from) first++;
  return acks.slice(first).filter((q, i) => i === 0 || q[0] <= to);
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

/** Ticks from `start` (0) to `end` seconds, labelled in ms below a second's step; fewer on a narrow plot. */
export function timeTicks(end: number, plotWidth = 864, start = 0): Tick[] {
  const step = niceStep(end - start, Math.max(3, Math.min(8, Math.floor(plotWidth / 100))));
  const ticks: Tick[] = [];
  for (let i = Math.ceil(start / step - 1e-9); i * step <= end * (1 + 1e-9); i++) {
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
