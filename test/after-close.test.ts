/** What the tracker keeps of closed connections once they are reported: which later segments are theirs. */
import { describe, expect, it } from "vitest";
import { AFTER_CLOSE_SECONDS, AfterClose } from "../src/connections/after-close.js";
import type { Connection } from "../src/connections/connection.js";
import { hashEndpoints, hashSegment } from "../src/connections/tuple-hash.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";

const C = "198.18.1.2:40000";
const S = "198.18.2.2:443";

/** The parts of a finished connection that AfterClose reads. */
function closed(
  clientNext: number | null,
  serverNext: number | null,
  client = [0xc6120102, 0, 0, 0],
  server = [0xc6120202, 0, 0, 0],
) {
  const side = (addr: number[], port: number, next: number | null) => ({
    addr: Uint32Array.from(addr),
    port,
    hasSeq: next !== null,
    nextSeq: next ?? 0,
  });
  return { client: side(client, 40000, clientNext), server: side(server, 443, serverNext) } as unknown as Connection;
}

const ack = (over: Partial<SegmentSpec>): SegmentSpec => ({
  from: S,
  to: C,
  flags: ".",
  seq: 5002,
  ack: 1002,
  time: 3,
  ...over,
});

function absorbs(a: AfterClose, spec: SegmentSpec, h?: number): boolean {
  const seg = makeSegment(spec);
  return a.absorb(seg, h ?? hashSegment(seg));
}

describe("AfterClose", () => {
  it(`a segment of either side, up to ${AFTER_CLOSE_SECONDS} s after the close inclusive, is absorbed and counted by input`, () => {
    const a = new AfterClose();
    a.remember(closed(1002, 5002), 100);
    expect(absorbs(a, ack({ time: 100 + AFTER_CLOSE_SECONDS }))).toBe(true);
    expect(absorbs(a, ack({ from: C, to: S, seq: 1002, ack: 5002, time: 101 }))).toBe(true);
    expect(absorbs(a, ack({ time: 100 + AFTER_CLOSE_SECONDS + 1e-6 }))).toBe(false);
    const seg = makeSegment(ack({ time: 102 }));
    seg.input = 2;
    expect(a.absorb(seg, hashSegment(seg))).toBe(true);
    expect([...a.absorbed]).toEqual([2, undefined, 1]);
  });

  it("a SYN is never absorbed: the 4-tuple is used again", () => {
    const a = new AfterClose();
    a.remember(closed(1002, 5002), 0);
    expect(absorbs(a, ack({ flags: "S", seq: 9000, time: 1 }))).toBe(false);
    expect(absorbs(a, ack({ flags: "S.", seq: 5001, time: 1 }))).toBe(false);
  });

  it("the same hash with another 4-tuple (a collision) is not absorbed: every address word and port is compared", () => {
    const a = new AfterClose();
    const conn = closed(1002, 5002, [0x20010db8, 1, 2, 3], [0x20010db8, 1, 2, 4]);
    a.remember(conn, 0);
    const h = hashEndpoints(conn);
    const v6 = (src: string, dst: string) => ack({ from: src, to: dst, time: 1 });
    expect(absorbs(a, v6("[2001:db8:0:1:0:2:0:4]:443", "[2001:db8:0:1:0:2:0:3]:40000"), h)).toBe(true);
    for (const [src, dst] of [
      ["[2001:db8:0:1:0:2:0:4]:444", "[2001:db8:0:1:0:2:0:3]:40000"],
      ["[2001:db8:0:1:0:2:0:4]:443", "[2001:db8:0:1:0:2:0:3]:40001"],
      ["[2001:db9:0:1:0:2:0:4]:443", "[2001:db8:0:1:0:2:0:3]:40000"],
      ["[2001:db8:0:9:0:2:0:4]:443", "[2001:db8:0:1:0:2:0:3]:40000"],
      ["[2001:db8:0:1:0:9:0:4]:443", "[2001:db8:0:1:0:2:0:3]:40000"],
      ["[2001:db8:0:1:0:2:0:5]:443", "[2001:db8:0:1:0:2:0:3]:40000"],
      ["[2001:db8:0:1:0:2:0:4]:443", "[2001:db9:0:1:0:2:0:3]:40000"],
      ["[2001:db8:0:1:0:2:0:4]:443", "[2001:db8:0:9:0:2:0:3]:40000"],
      ["[2001:db8:0:1:0:2:0:4]:443", "[2001:db8:0:1:0:9:0:3]:40000"],
      ["[2001:db8:0:1:0:2:0:4]:443", "[2001:db8:0:1:0:2:0:5]:40000"],
      // From the client's side.
      ["[2001:db8:0:1:0:2:0:3]:40000", "[2001:db8:0:1:0:2:0:4]:444"],
      ["[2001:db8:0:1:0:2:0:3]:40001", "[2001:db8:0:1:0:2:0:4]:443"],
      ["[2001:db8:0:1:0:2:0:3]:40000", "[2001:db8:0:1:0:2:0:5]:443"],
      ["[2001:db8:0:1:0:2:0:5]:40000", "[2001:db8:0:1:0:2:0:4]:443"],
    ])
      expect(absorbs(a, v6(src!, dst!), h), `${src} -> ${dst}`).toBe(false);
  });

  it("each side is judged by where its own sequence numbers ended, within 2^26", () => {
    const a = new AfterClose();
    a.remember(closed(0, 5002), 0);
    expect(absorbs(a, ack({ seq: 5002 + 2 ** 26 }))).toBe(true);
    expect(absorbs(a, ack({ seq: 5002 + 2 ** 26 + 1 }))).toBe(false);
    expect(absorbs(a, ack({ seq: 5002 - 2 ** 26 - 1 }))).toBe(false);
    // The client ended at 0 (a real sequence number): a segment far from it is another connection.
    expect(absorbs(a, ack({ from: C, to: S, seq: 0 }))).toBe(true);
    expect(absorbs(a, ack({ from: C, to: S, seq: 2 ** 31 }))).toBe(false);
  });

  it("a side that sent nothing has no sequence space to compare: any of its segments is a straggler", () => {
    const a = new AfterClose();
    a.remember(closed(null, 5002), 0);
    expect(absorbs(a, ack({ from: C, to: S, seq: 2 ** 31 }))).toBe(true);
  });

  it("expire(now) forgets what expired before now, not at now; a later close of the same 4-tuple survives the earlier one's expiry", () => {
    const a = new AfterClose();
    a.remember(closed(1002, 5002), 0);
    a.expire(AFTER_CLOSE_SECONDS);
    // Records out of time order: one stamped earlier than the sweep that ran.
    expect(absorbs(a, ack({ time: 5 }))).toBe(true);
    a.expire(AFTER_CLOSE_SECONDS + 0.5);
    expect(absorbs(a, ack({ time: 5 }))).toBe(false);
    const b = new AfterClose();
    b.remember(closed(1002, 5002), 0);
    b.remember(closed(1002, 5002), 5);
    b.expire(AFTER_CLOSE_SECONDS + 1);
    expect(absorbs(b, ack({ time: 14 }))).toBe(true);
  });

  it("neighbouring addresses and ports do not share a key (198.18.0.0:1025 and 198.18.0.1:1024)", () => {
    const x = closed(1, 1, [0xc6120000, 0, 0, 0]);
    const y = closed(1, 1, [0xc6120001, 0, 0, 0]);
    (x.client as { port: number }).port = 1025;
    (y.client as { port: number }).port = 1024;
    expect(hashEndpoints(x)).not.toBe(hashEndpoints(y));
  });

  it("at most 65,536 closed connections are remembered: the oldest goes first", () => {
    const a = new AfterClose();
    const port = (i: number) => 1024 + (i % 60000);
    const conn = (i: number) => {
      const c = closed(1002, 5002, [0xc6120000 + Math.floor(i / 60000), 0, 0, 0]);
      (c.client as { port: number }).port = port(i);
      return c;
    };
    for (let i = 0; i <= 65_536; i++) a.remember(conn(i), 0);
    const from = (i: number) => ack({ to: `198.18.0.${Math.floor(i / 60000)}:${port(i)}`, time: 1 });
    expect([absorbs(a, from(0)), absorbs(a, from(1)), absorbs(a, from(65_536))]).toEqual([false, true, true]);
  });

  /** Closed connection i, from client port 10,000 + i; and a segment of its server towards it. */
  const conn = (i: number) => {
    const c = closed(1002, 5002);
    (c.client as { port: number }).port = 10_000 + i;
    return c;
  };
  const from = (i: number, time = 1) => ack({ to: `198.18.1.2:${10_000 + i}`, time });

  it("the ring grows past its first 1,024 slots while wrapped around their end, and still forgets oldest first", () => {
    const a = new AfterClose();
    for (let i = 0; i < 1000; i++) a.remember(conn(i), i / 1000);
    a.expire(AFTER_CLOSE_SECONDS + 0.5); // the first 500 go: the oldest entry is now in slot 500
    for (let i = 1000; i < 1700; i++) a.remember(conn(i), 5); // slots 500..1023, 0..499 full at i = 1523, then it grows
    const at = [499, 500, 999, 1000, 1523, 1524, 1699];
    expect(at.map((i) => absorbs(a, from(i)))).toEqual([false, true, true, true, true, true, true]);
    a.expire(AFTER_CLOSE_SECONDS + 1.5);
    expect(at.map((i) => absorbs(a, from(i)))).toEqual([false, false, false, true, true, true, true]);
    a.expire(AFTER_CLOSE_SECONDS + 5.5);
    expect(at.map((i) => absorbs(a, from(i)))).toEqual([false, false, false, false, false, false, false]);
  });
  it("nothing remembered: nothing absorbed", () => {
    expect(absorbs(new AfterClose(), ack({}))).toBe(false);
  });

  it("20,000 closes at 64 a second: each absorbed until it expires and not after, through the table's rebuilds", () => {
    const a = new AfterClose();
    const wrong: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      const t = i / 64; // exact in binary: close i expires at exactly (i + 640) / 64
      a.remember(conn(i), t);
      a.expire(t);
      // 640 closes in the 10 s window: the newest, the oldest still in it, the one just before.
      if (
        !absorbs(a, from(i, t)) ||
        (i >= 640 && !absorbs(a, from(i - 640, t))) ||
        (i >= 641 && absorbs(a, from(i - 641, t)))
      )
        wrong.push(i);
    }
    expect(wrong).toEqual([]);
  });
});
