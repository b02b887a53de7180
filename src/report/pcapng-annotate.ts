/**
 * The annotated capture (`--format pcapng -o FILE`): every packet of the input(s) copied as
 * pcapng, each evidence frame with a packet comment per finding that cites it ("wscale
 * scale-rewritten (error, likely) c1: ..."), and the summary in the section comment, so that
 * Wireshark's `frame.comment contains "wscale"` lists exactly the evidence.
 *
 * The inputs are read a second time, after the analysis: they must be files that can be opened
 * again (a pipe or stdin is gone by then). Buffering a stream instead would tie memory to the
 * capture's length, which wscale never does; annotationInputProblem() says why an input cannot
 * be used, before anything is analysed. Several inputs are merged by time, as the analysis
 * merges them; packets that are not TCP are copied too, so frame numbers of a single input stay
 * the same as in the original file.
 */
import { stat } from "node:fs/promises";
import type { AnalysisReport } from "../analysis/analyze.js";
import { type Frame, newFrame } from "../capture/frame.js";
import { newFrameReader, openInput } from "../capture/open.js";
import { catalogueEntry } from "../findings/catalogue.js";
import type { Finding } from "../findings/finding.js";
import { hostPort, summarySentence, worstByConnection } from "./model.js";
import { enhancedPacket, interfaceDescription, sectionHeader } from "./pcapng-writer.js";

/** Findings listed one per line in the section comment; the rest are counted. */
const LISTED_IN_SECTION = 200;
/** Output is handed on in pieces of about this size. */
const PIECE = 1 << 20;
const READ = 1 << 20;

/** Why `path` cannot be annotated (null: it can): it must be a capture file that can be read twice. */
export async function annotationInputProblem(path: string): Promise<string | null> {
  if (path === "-")
    return "--format pcapng reads the capture a second time to copy its packets; stdin cannot be read twice: save it to a file first";
  try {
    if (!(await stat(path)).isFile())
      return `--format pcapng reads the capture a second time to copy its packets; ${path} is not a regular file (a pipe or FIFO cannot be read twice): save it to a file first`;
    const opened = await openInput(path);
    await opened.close();
    if (opened.format === "tcpdump-text")
      return `--format pcapng copies the captured packets; ${path} is tcpdump text, which has none: capture with tcpdump -w instead`;
  } catch {
    return null; // the analysis reports a missing or unreadable file in its own words
  }
  return null;
}

/** The comment a packet gets for one finding that cites it. */
function packetComment(f: Finding, note: string, where: string): string {
  return `wscale ${f.id} (${f.severity}, ${f.confidence}) ${f.connection}${where}: ${note}`;
}

/** Comments by input and frame number ("0:4"). */
function commentsByFrame(report: AnalysisReport): Map<string, string[]> {
  const conns = new Map(report.connections.map((c) => [c.id, c]));
  const several = report.inputs.length > 1;
  const out = new Map<string, string[]>();
  for (const f of report.findings) {
    for (const e of f.evidence) {
      const input = e.input ?? conns.get(f.connection)?.input ?? 0;
      const where = several ? ` (input ${input + 1} frame ${e.frame})` : "";
      const key = `${input}:${e.frame}`;
      const list = out.get(key) ?? [];
      list.push(packetComment(f, e.note, where));
      out.set(key, list);
    }
  }
  return out;
}

/** The section comment: what was analysed, the verdicts, each finding in a line, how to filter. */
export function sectionComment(report: AnalysisReport): string {
  const conns = new Map(report.connections.map((c) => [c.id, c]));
  const lines = [
    `wscale report of ${report.inputs.map((i) => i.path).join(", ")}`,
    summarySentence(report, worstByConnection(report.findings)),
  ];
  for (const f of report.findings.slice(0, LISTED_IN_SECTION)) {
    const c = conns.get(f.connection);
    const ends = c ? ` ${hostPort(c.client)} -> ${hostPort(c.server)}` : "";
    const summary = catalogueEntry(f.id)?.summary ?? "";
    lines.push(
      `${f.connection}${ends}: wscale ${f.id} (${f.severity}, ${f.confidence})${summary ? `: ${summary}` : ""}`,
    );
  }
  if (report.findings.length > LISTED_IN_SECTION)
    lines.push(`... and ${report.findings.length - LISTED_IN_SECTION} more findings`);
  lines.push('Evidence packets carry a comment: filter frame.comment contains "wscale"');
  return lines.join("\n");
}

/** One frame of one input, its bytes copied out of the reader's buffer. */
interface Packet {
  input: number;
  number: number;
  sec: number;
  nsec: number;
  linkType: number;
  interfaceId: number;
  data: Uint8Array;
  origLen: number;
}

/** Every frame of a capture file, in file order. */
async function* packetsOf(path: string, input: number): AsyncGenerator<Packet> {
  const opened = await openInput(path);
  try {
    if (opened.format === "tcpdump-text") return;
    const reader = newFrameReader(opened.format);
    const frame: Frame = newFrame();
    const copy = (): Packet => ({
      input,
      number: frame.number,
      sec: frame.sec,
      nsec: frame.nsec,
      linkType: frame.linkType,
      interfaceId: frame.interfaceId,
      data: frame.data.slice(frame.offset, frame.offset + frame.caplen),
      origLen: frame.origLen,
    });
    for (;;) {
      const chunk = new Uint8Array(READ);
      const n = await opened.read(chunk, 0, READ);
      if (n === 0) break;
      reader.feed(chunk.subarray(0, n));
      while (reader.next(frame)) yield copy();
      if (reader.error) break;
    }
    reader.finish();
    while (reader.next(frame)) yield copy();
  } finally {
    await opened.close();
  }
}

/** Several inputs merged by time (ties in input order), each in its own order, as the analysis merges them. */
async function* merged(paths: readonly string[]): AsyncGenerator<Packet> {
  const sources = paths.map((p, i) => packetsOf(p, i));
  const heads = await Promise.all(sources.map((s) => s.next()));
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i]!;
      if (h.done) continue;
      const b = best >= 0 ? (heads[best]!.value as Packet) : null;
      if (b === null || h.value.sec < b.sec || (h.value.sec === b.sec && h.value.nsec < b.nsec)) best = i;
    }
    if (best < 0) return;
    yield heads[best]!.value as Packet;
    heads[best] = await sources[best]!.next();
  }
}

/**
 * The annotated capture, in pieces for the output writer. `paths` are the inputs in the order
 * the report lists them (checked with annotationInputProblem() before the analysis).
 */
export async function* annotatedPcapng(report: AnalysisReport, paths: readonly string[]): AsyncGenerator<Uint8Array> {
  const comments = commentsByFrame(report);
  const pending: Uint8Array[] = [sectionHeader([sectionComment(report)], "wscale")];
  let size = pending[0]!.length;
  const interfaces = new Map<string, number>();
  for await (const p of merged(paths)) {
    const key = `${p.input}/${p.interfaceId}/${p.linkType}`;
    let iface = interfaces.get(key);
    if (iface === undefined) {
      iface = interfaces.size;
      interfaces.set(key, iface);
      const name = `${paths[p.input]}${p.interfaceId > 0 ? ` interface ${p.interfaceId}` : ""}`;
      pending.push(interfaceDescription(p.linkType, name));
    }
    const block = enhancedPacket(iface, p.sec, p.nsec, p.data, p.origLen, comments.get(`${p.input}:${p.number}`) ?? []);
    pending.push(block);
    size += block.length;
    if (size >= PIECE) {
      yield concat(pending);
      pending.length = 0;
      size = 0;
    }
  }
  if (pending.length > 0) yield concat(pending);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
