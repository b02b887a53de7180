import { SYN, type TcpSegment } from "../decode/segment.js";
import type { Connection } from "./connection.js";
import { seqDiff } from "./seq.js";
import { hashEndpoints } from "./tuple-hash.js";

/**
 * Seconds after a close during which stray segments of the finished connection are expected: a
 * FIN or final ACK sent again when the other end's ACK was lost (RTO backoff: 0.2, 0.6, 1.4 s ...),
 * a RST answering them, a record the capture stored late.
 */
export const AFTER_CLOSE_SECONDS = 10;
/** A straggler's sequence number lies this close to where its sender stopped. */
const SAME_SPACE = 1 << 26;
/** At most this many finished connections remembered (the oldest forgotten first). */
const MAX_REMEMBERED = 1 << 16;

/** Slots to start with; the ring doubles when full, up to MAX_REMEMBERED. */
const INITIAL_SLOTS = 1024;

/**
 * What is left of connections that closed and were reported, for AFTER_CLOSE_SECONDS. A closed
 * connection is finalised soon after its close (its memory serves the next one), and what still
 * comes for it is counted here instead of opening a connection of its own without a handshake. A
 * SYN is never absorbed (the 4-tuple reused), nor a segment in another sequence space (a new
 * connection whose SYN was not captured). Looked up only for segments of no live connection, by
 * the tracker's 4-tuple hash (one entry per hash: a collision forgets the older, which then
 * counts as a connection of its own, as before this existed).
 *
 * A server closing thousands of connections a second keeps tens of thousands here: each is one
 * slot of a ring of typed arrays in the order they expire (64 bytes), not an object with two
 * typed arrays of its own (about 450 bytes, and old-generation garbage once forgotten).
 */
export class AfterClose {
  /**
   * The 4-tuple hash -> slot + 1 (0: empty), open addressing over 4 cells per slot (a Map with
   * an entry added and deleted per close was 2% of a many-flows run). Forgotten entries are not
   * taken out: a cell counts only while its slot is live and holds that hash, and the table is
   * rebuilt from the live entries once half its cells are used.
   */
  private table = new Int32Array(0);
  private tableUsed = 0;
  private slots = 0;
  /** Client address words 0-3, then the server's, per slot. */
  private addr = new Uint32Array(0);
  /** Client port << 16 | server port. */
  private ports = new Uint32Array(0);
  /** Where each side's sequence numbers ended, client then server (-1: it sent nothing). */
  private next = new Float64Array(0);
  private expires = new Float64Array(0);
  private hashes = new Int32Array(0);
  /** The oldest entry's slot, and how many there are (in order of expiry from there). */
  private head = 0;
  private size = 0;
  /** Segments absorbed, by input index. */
  readonly absorbed: number[] = [];

  remember(conn: Connection, closedAt: number): void {
    if (this.size === this.slots) {
      if (this.slots < MAX_REMEMBERED) this.grow();
      else this.forget();
    }
    const i = (this.head + this.size++) & (this.slots - 1);
    const { client, server } = conn;
    const w = this.addr;
    const c = client.addr;
    const s = server.addr;
    const a = 8 * i;
    // Word by word: TypedArray.set on 4 words costs more than the copy.
    w[a] = c[0]!;
    w[a + 1] = c[1]!;
    w[a + 2] = c[2]!;
    w[a + 3] = c[3]!;
    w[a + 4] = s[0]!;
    w[a + 5] = s[1]!;
    w[a + 6] = s[2]!;
    w[a + 7] = s[3]!;
    this.ports[i] = (client.port << 16) | server.port;
    this.next[2 * i] = client.hasSeq ? client.nextSeq : -1;
    this.next[2 * i + 1] = server.hasSeq ? server.nextSeq : -1;
    this.expires[i] = closedAt + AFTER_CLOSE_SECONDS;
    const h = hashEndpoints(conn) | 0;
    this.hashes[i] = h;
    if (2 * this.tableUsed >= this.table.length) this.rebuild();
    else this.index(i);
  }

  /** The segment (4-tuple hash `h`) is a straggler of a finished connection: counted, and nothing else to do with it. */
  absorb(seg: TcpSegment, h: number): boolean {
    if ((seg.flags & SYN) !== 0) return false;
    const i = this.find(h | 0);
    if (i < 0 || seg.time > this.expires[i]!) return false;
    const ports = this.ports[i]!;
    const a = 8 * i;
    let next: number;
    if (
      seg.srcPort === ports >>> 16 &&
      seg.dstPort === (ports & 0xffff) &&
      this.at(a, seg.src) &&
      this.at(a + 4, seg.dst)
    )
      next = this.next[2 * i]!;
    else if (
      seg.srcPort === (ports & 0xffff) &&
      seg.dstPort === ports >>> 16 &&
      this.at(a + 4, seg.src) &&
      this.at(a, seg.dst)
    )
      next = this.next[2 * i + 1]!;
    else return false;
    if (next >= 0 && Math.abs(seqDiff(seg.seq, next)) > SAME_SPACE) return false;
    this.absorbed[seg.input] = (this.absorbed[seg.input] ?? 0) + 1;
    return true;
  }

  /** Forget what expired by `now` (capture time). */
  expire(now: number): void {
    while (this.size > 0 && this.expires[this.head]! < now) this.forget();
  }

  /** The oldest entry (its cell in the table is left: a slot no longer live matches nothing). */
  private forget(): void {
    this.head = (this.head + 1) & (this.slots - 1);
    this.size--;
  }

  private live(i: number): boolean {
    return ((i - this.head) & (this.slots - 1)) < this.size;
  }

  /** The live slot of hash `h`, or -1. */
  private find(h: number): number {
    if (this.size === 0) return -1; // the table may not exist yet
    const t = this.table;
    const mask = t.length - 1;
    for (let p = h & mask; t[p] !== 0; p = (p + 1) & mask) {
      const i = t[p]! - 1;
      // The first cell with this hash holds its newest entry: if that is forgotten, so are older ones.
      if (this.hashes[i] === h) return this.live(i) ? i : -1;
    }
    return -1;
  }

  /** Slot `i` under its hash: in the first cell with the same hash (the newer wins), else a free one. */
  private index(i: number): void {
    const h = this.hashes[i]!;
    const t = this.table;
    const mask = t.length - 1;
    let p = h & mask;
    while (t[p] !== 0 && this.hashes[t[p]! - 1] !== h) p = (p + 1) & mask;
    if (t[p] === 0) this.tableUsed++;
    t[p] = i + 1;
  }

  /** The table made again from the live entries, oldest first. */
  private rebuild(): void {
    if (this.table.length !== 4 * this.slots) this.table = new Int32Array(4 * this.slots);
    else this.table.fill(0);
    this.tableUsed = 0;
    for (let k = 0; k < this.size; k++) this.index((this.head + k) & (this.slots - 1));
  }

  /** The address of 4 words at `a` is `addr`. */
  private at(a: number, addr: Uint32Array): boolean {
    const w = this.addr;
    return w[a] === addr[0] && w[a + 1] === addr[1] && w[a + 2] === addr[2] && w[a + 3] === addr[3];
  }

  /** Twice the slots, the entries moved to slots 0.. in the same order. */
  private grow(): void {
    const slots = Math.max(INITIAL_SLOTS, 2 * this.slots);
    const addr = new Uint32Array(8 * slots);
    const ports = new Uint32Array(slots);
    const next = new Float64Array(2 * slots);
    const expires = new Float64Array(slots);
    const hashes = new Int32Array(slots);
    for (let k = 0; k < this.size; k++) {
      const i = (this.head + k) & (this.slots - 1);
      for (let w = 0; w < 8; w++) addr[8 * k + w] = this.addr[8 * i + w]!;
      ports[k] = this.ports[i]!;
      next[2 * k] = this.next[2 * i]!;
      next[2 * k + 1] = this.next[2 * i + 1]!;
      expires[k] = this.expires[i]!;
      hashes[k] = this.hashes[i]!;
    }
    this.slots = slots;
    this.addr = addr;
    this.ports = ports;
    this.next = next;
    this.expires = expires;
    this.hashes = hashes;
    this.head = 0;
    this.rebuild();
  }
}
