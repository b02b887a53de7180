import { READ_PREFIX } from "../capture/byte-window.js";
import type { CaptureIssue } from "../capture/issue.js";
import { InputError } from "../capture/issue.js";
import { newFrameReader, type OpenedInput, openInput, READ_SIZE } from "../capture/open.js";
import type { CaptureFormat } from "../capture/reader.js";
import type { Connection } from "../connections/connection.js";
import { type ConnectionSummary, summarize, type Timeline } from "../connections/summary.js";
import { ConnectionTracker } from "../connections/tracker.js";
import { TcpSegment } from "../decode/segment.js";
import { FrameSegmentSource, type SegmentSource } from "../decode/segment-source.js";
import { TcpdumpTextSource } from "../decode/tcpdump-text.js";
import { evaluateFindings } from "../findings/evaluate.js";
import type { Finding } from "../findings/finding.js";
import { FindingSampler, isSampled } from "../findings/sampler.js";
import type { ReportTotals } from "./tally.js";

export const SCHEMA_VERSION = 1;

export interface InputSummary {
  path: string;
  format: CaptureFormat;
  gzip: boolean;
  linkTypes: number[];
  packets: number;
  tcpSegments: number;
  /** Packets that gave no TCP segment, by reason. */
  skipped: Record<string, number>;
  warnings: CaptureIssue[];
  /** Several inputs holding the same traffic: the vantage point (index in the report's `vantages`). */
  vantage?: number;
  /** Records that were the same records as another input's (the input `of`), counted once. */
  duplicates?: { of: number; records: number };
  /**
   * TCP segments of a connection already closed and reported (a FIN or final ACK sent again, a
   * RST answering it), within AFTER_CLOSE_SECONDS of the close: counted here, not in a connection.
   */
  afterClose?: number;
}

/** What a run read: its inputs (connections and findings went to `onConnection` as they finished). */
export interface AnalysisRun {
  schemaVersion: number;
  inputs: InputSummary[];
  /** Inputs that could not be read at all: the others were analysed, and the command exits 2. */
  unreadable?: { path: string; offset: number | null; message: string }[];
}

/** Everything one run found: the model every report format is rendered from. */
export interface AnalysisReport extends AnalysisRun {
  /** Every connection; or, with `totals`, the worst ones a report keeps (in the analysis' order). */
  connections: ConnectionSummary[];
  /** Every finding; or, with `totals`, those of the kept connections and the first few of each id. */
  findings: Finding[];
  /** Exact counts when `connections` and `findings` hold only part of the run. */
  totals?: ReportTotals;
  /** With `totals`: the connections of findings a report shows in full that are not among `connections`. */
  related?: ConnectionSummary[];
}

export interface AnalyzeOptions {
  idleTimeout: number;
  /** Keep per-connection time series for charts (the HTML report). */
  timeline?: boolean;
  /** A handshake completed (live mode prints it). */
  onHandshake?(conn: Connection): void;
  /**
   * A connection was finalised: its summary and findings, handed over once (the analysis keeps
   * nothing of it). Called from inside the read loop; the work it buffers is written in drain().
   */
  onConnection?(summary: ConnectionSummary, findings: Finding[]): void;
  /**
   * Called between reads, every 4096 segments and between batches of the connections finalised
   * at the end: write out what onConnection buffered. The analysis waits for the promise, so a
   * slow consumer holds it back instead of letting output pile up in memory.
   */
  drain?(): Promise<void> | undefined;
  /** Called now and then with the packets read so far (progress display). */
  onProgress?(packets: number, connections: number): void;
  /** Called after each read with a way to list the connections still open (live mode evaluates them early). */
  onRead?(live: () => Iterable<Connection>, packets: number): void;
  /** Reuse finished connections' objects (default true; tests compare with false). */
  reuseConnections?: boolean;
  /** Resolves when reading should stop early (live mode after SIGINT grace). */
  stop?: Promise<void>;
  stdin?: NodeJS.ReadableStream;
  /** Several inputs merged: false drops a record (the same record already read from another input). */
  keep?(seg: TcpSegment): boolean;
  /** Several inputs merged: the time to order this record by (default: its own; a copy's records wait for the original's). */
  mergeTime?(seg: TcpSegment): number;
}

interface Input {
  opened: OpenedInput;
  source: SegmentSource;
  seg: TcpSegment;
  segments: number;
  /** A read already under way into the window's spare buffer. */
  nextRead: Promise<number> | null;
  /** The segment in `seg` is waiting to be processed (merge of several inputs). */
  pending: boolean;
  done: boolean;
}

export function createSource(format: CaptureFormat): SegmentSource {
  return format === "tcpdump-text" ? new TcpdumpTextSource() : new FrameSegmentSource(newFrameReader(format));
}

/**
 * Read every input once, in order of timestamp when there are several, and hand each connection
 * to `opts.onConnection` as it is finalised (closed or idle), with its findings: memory follows
 * the live connections. Connections still open at the end are handed over in the order they
 * started. Throws InputError only for an input that cannot be read at all.
 */
export async function analyzeStream(paths: (string | OpenedInput)[], opts: AnalyzeOptions): Promise<AnalysisRun> {
  // A connection with a sampled note waits until the sampler knows whether it keeps it.
  const sampler = new FindingSampler<ConnectionSummary>();
  const report = (ready: { conn: ConnectionSummary; findings: Finding[] }[]) => {
    for (const r of ready) opts.onConnection?.(r.conn, r.findings);
  };
  const tracker: ConnectionTracker = new ConnectionTracker({
    idleTimeout: opts.idleTimeout,
    timeline: opts.timeline,
    // Nothing below keeps a Connection past onFinal: its objects serve the next one.
    reuse: opts.reuseConnections ?? true,
    onHandshake: opts.onHandshake,
    onFinal(conn) {
      const summary = summarize(conn);
      const found = evaluateFindings(conn, summary, tracker.servers, sampler.onlyCounted);
      // Charted now (the Connection is reused next): the findings reported whatever the sampler decides.
      if (summary.timeline && conn.timeline)
        markFindings(
          summary.timeline,
          conn,
          found.filter((f) => !isSampled(f)),
        );
      report(sampler.add(summary, found));
    },
  });
  const inputs: Input[] = [];
  for (const path of paths) {
    const opened = typeof path === "string" ? await openInput(path, opts.stdin) : path;
    inputs.push({
      opened,
      source: createSource(opened.format),
      seg: new TcpSegment(),
      segments: 0,
      pending: false,
      done: false,
      nextRead: null,
    });
  }
  const stopped = { value: false, signal: opts.stop };
  opts.stop?.then(() => {
    stopped.value = true;
  });
  if (inputs.length === 1) await runSingle(inputs[0]!, tracker, opts, stopped);
  else await runMerged(inputs, tracker, opts, stopped);
  const summaries = inputs.map((i, k) => {
    if (i.source.error && i.segments === 0) {
      throw new InputError(i.opened.path, i.source.error.offset, i.source.error.message);
    }
    return {
      path: i.opened.path,
      format: i.opened.format,
      gzip: i.opened.gzip,
      linkTypes: [...i.source.linkTypes],
      packets: i.source.packets,
      tcpSegments: i.segments,
      skipped: i.source.skipped(),
      warnings: [...i.opened.warnings, ...i.source.warnings, ...(i.source.error ? [i.source.error] : [])],
      ...(tracker.afterClose.absorbed[k] ? { afterClose: tracker.afterClose.absorbed[k] } : {}),
    };
  });
  // What is still open, a batch at a time so that its output is written as it goes.
  while (tracker.flush(FLUSH_BATCH) > 0) await opts.drain?.();
  report(sampler.finish());
  await opts.drain?.();
  return { schemaVersion: SCHEMA_VERSION, inputs: summaries };
}

/**
 * The whole report in memory, every connection (in the order they started) and finding: for
 * compare and vantage points, which match connections across captures, and for tests. The CLI
 * streams a single input instead.
 */
export async function analyze(paths: (string | OpenedInput)[], opts: AnalyzeOptions): Promise<AnalysisReport> {
  const connections: ConnectionSummary[] = [];
  const findings: Finding[] = [];
  const run = await analyzeStream(paths, {
    ...opts,
    onConnection(summary, found) {
      connections.push(summary);
      findings.push(...found);
      opts.onConnection?.(summary, found);
    },
  });
  connections.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  return { ...run, connections, findings };
}

/** Mark each finding on the chart at its last evidence frame: where the proof is complete. */
function markFindings(timeline: Timeline, conn: Connection, found: Finding[]): void {
  for (const f of found) {
    const frame = Math.max(0, ...f.evidence.map((e) => e.frame));
    const t = conn.timeline!.timeOfFrame(frame) - conn.firstTime;
    if (t >= 0) timeline.events.push({ t: Math.round(t * 1e6) / 1e6, kind: "finding", label: f.id, frame });
  }
}

const PROGRESS_EVERY = 1 << 16;
/**
 * Output is handed on every 4096 segments too, not only between reads: a 1 MiB read of short
 * connections finishes thousands of them, megabytes of NDJSON that would wait in memory.
 */
const DRAIN_MASK = (1 << 12) - 1;
/** Connections still open at the end are finalised this many at a time. */
const FLUSH_BATCH = 512;

interface Stop {
  value: boolean;
  signal: Promise<void> | undefined;
}

/** The fast path: one input, segments straight from the chunk into the tracker. */
async function runSingle(input: Input, tracker: ConnectionTracker, opts: AnalyzeOptions, stopped: Stop) {
  const { source, seg } = input;
  let n = 0;
  let nextProgress = PROGRESS_EVERY;
  for (;;) {
    const more = await nextChunk(input, stopped, opts);
    while (source.next(seg)) {
      tracker.segment(seg);
      if ((++n & DRAIN_MASK) === 0 && opts.drain) await opts.drain();
    }
    if (!more || stopped.value || source.error) break;
    if (opts.onProgress && source.packets >= nextProgress) {
      nextProgress = source.packets + PROGRESS_EVERY;
      opts.onProgress(source.packets, tracker.started);
    }
    opts.onRead?.(() => tracker.liveConnections(), source.packets);
  }
  endInput(input);
  while (source.next(seg)) {
    tracker.segment(seg);
    n++;
  }
  input.segments = n;
}

/** Several inputs: always process the earliest pending segment (inputs are each in time order). */
async function runMerged(inputs: Input[], tracker: ConnectionTracker, opts: AnalyzeOptions, stopped: Stop) {
  inputs.forEach((input, i) => {
    input.seg.input = i;
  });
  let packets = 0;
  for (;;) {
    let best: Input | null = null;
    let bestTime = Number.POSITIVE_INFINITY;
    for (const input of inputs) {
      if (!input.pending) await advance(input, stopped, opts);
      if (!input.pending) continue;
      const t = Number.isNaN(input.seg.time)
        ? Number.NEGATIVE_INFINITY
        : (opts.mergeTime?.(input.seg) ?? input.seg.time);
      if (best === null || t < bestTime) {
        best = input;
        bestTime = t;
      }
    }
    if (best === null) return;
    if (opts.keep === undefined || opts.keep(best.seg)) tracker.segment(best.seg);
    best.segments++;
    best.pending = false;
    if ((++packets & DRAIN_MASK) === 0 && opts.drain) await opts.drain();
    if (opts.onProgress && packets % PROGRESS_EVERY === 0) opts.onProgress(packets, tracker.started);
  }
}

async function advance(input: Input, stopped: Stop, opts: AnalyzeOptions): Promise<void> {
  const index = input.seg.input;
  for (;;) {
    if (input.source.next(input.seg)) {
      input.seg.input = index;
      input.pending = true;
      return;
    }
    if (input.done) return;
    if (input.source.error || stopped.value || !(await nextChunk(input, stopped, opts))) endInput(input);
  }
}

/**
 * Read the next bytes into the source; at the end of input call finish() and return false. A
 * read error in the middle (a gzip stream cut short, an I/O error) keeps what was read and
 * becomes a warning.
 */
async function nextChunk(input: Input, stopped: Stop, opts: AnalyzeOptions): Promise<boolean> {
  const { opened, source } = input;
  await opts.drain?.();
  // A live pipe may stay silent: a stop request must not wait for its next bytes.
  const read = (buf: Uint8Array, offset: number, length: number) => {
    const r = opened.read(buf, offset, length);
    if (!stopped.signal) return r;
    r.catch(() => {}); // if the stop wins, nobody waits for this read any more
    return Promise.race([r, stopped.signal.then(() => 0)]);
  };
  try {
    let n: number;
    const w = source.window;
    if (w !== undefined) {
      // Double buffering: parse this read while the next one is under way.
      n = await (input.nextRead ?? read(w.readTarget(READ_SIZE), READ_PREFIX, READ_SIZE));
      input.nextRead = null;
      if (n > 0) {
        w.swapIn(n);
        const next = read(w.readTarget(READ_SIZE), READ_PREFIX, READ_SIZE);
        next.catch(() => {}); // awaited (and its error raised) on the next call
        input.nextRead = next;
      }
    } else {
      const chunk = new Uint8Array(TEXT_READ_SIZE);
      n = await read(chunk, 0, chunk.length);
      source.feed(chunk.subarray(0, n));
    }
    if (n > 0) return true;
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    if (source.packets === 0 && !source.error) throw e;
    source.warnings.push({
      offset: e.offset ?? -1,
      message: `${e.detail}; kept the ${source.packets} packets read before`,
    });
  }
  endInput(input);
  return false;
}

const TEXT_READ_SIZE = 256 * 1024;

function endInput(input: Input): void {
  if (input.done) return;
  input.done = true;
  input.source.finish();
  void input.opened.close();
}
