/**
 * The tracker reuses a finished connection's objects for the next one (a million dead connections
 * would otherwise fill the old generation until the garbage collector catches up). A reused
 * connection must be indistinguishable from a new one.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyze } from "../src/analysis/analyze.js";
import { Connection } from "../src/connections/connection.js";
import { type ConnectionSummary, summarize } from "../src/connections/summary.js";
import { ConnectionTracker } from "../src/connections/tracker.js";
import { evaluateFindings } from "../src/findings/evaluate.js";
import { ROOT } from "./helpers/bin.js";
import { makeSegment, type SegmentSpec } from "./helpers/segments.js";

const CAPTURES = (
  JSON.parse(readFileSync(join(ROOT, "captures/manifest.json"), "utf8")).files as { file: string }[]
).map((f) => join(ROOT, "captures", f.file));

/** Objects a new Connection owns: after reset() none may be shared with another connection. */
function ownedObjects(c: Connection): unknown[] {
  const values = (o: object) => Object.values(o).filter((v) => typeof v === "object" && v !== null);
  return [...values(c), ...values(c.client), ...values(c.server)].filter(
    (v) => v !== c.client && v !== c.server && v !== c.client.peer && v !== c.server.peer,
  );
}

describe("reusing finished connections", () => {
  it("every connection of every shipped capture, all merged into one run, is reported as with new objects", async () => {
    const fresh = await analyze(CAPTURES, { idleTimeout: 300, reuseConnections: false });
    const reused = await analyze(CAPTURES, { idleTimeout: 300 });
    expect(fresh.connections.length).toBeGreaterThanOrEqual(10);
    expect(reused).toEqual(fresh);
  });

  it("the objects of a finished connection serve the next one, which starts from a clean state", () => {
    const C = "198.18.1.2:40000";
    const S = "198.18.2.2:443";
    // A crawl (zero windows, retransmissions, odd options), then, an hour later, a plain handshake.
    const first: SegmentSpec[] = [
      {
        from: C,
        to: S,
        flags: "S",
        seq: 100,
        win: 64240,
        wscale: 14,
        mss: 1460,
        sackOK: true,
        ts: [1, 0],
        frame: 1,
        time: 0,
      },
      { from: S, to: C, flags: "S.", seq: 900, ack: 101, win: 0, wscale: 2, mss: 536, frame: 2, time: 0.1 },
      { from: C, to: S, flags: ".", seq: 101, ack: 901, win: 0, frame: 3, time: 0.2 },
      { from: S, to: C, flags: "P.", seq: 901, ack: 101, win: 5, len: 536, frame: 4, time: 0.3 },
      { from: S, to: C, flags: "P.", seq: 901, ack: 101, win: 5, len: 536, frame: 5, time: 0.9 },
      { from: C, to: S, flags: "R", seq: 101, ack: 1437, frame: 6, time: 1 },
    ];
    const second: SegmentSpec[] = [
      { from: C, to: S, flags: "S", seq: 7, win: 64240, wscale: 7, mss: 1460, frame: 7, time: 3600 },
      { from: S, to: C, flags: "S.", seq: 70, ack: 8, win: 65160, wscale: 7, mss: 1460, frame: 8, time: 3600.01 },
      { from: C, to: S, flags: ".", seq: 8, ack: 71, win: 502, frame: 9, time: 3600.02 },
    ];
    const run = (reuse: boolean, specs: SegmentSpec[]) => {
      const finals: { conn: Connection; summary: ConnectionSummary; findings: string[] }[] = [];
      const tracker = new ConnectionTracker({
        idleTimeout: 300,
        reuse,
        onFinal: (conn) => {
          const summary = summarize(conn);
          finals.push({ conn, summary, findings: evaluateFindings(conn, summary).map((f) => f.id) });
        },
      });
      for (const s of specs) tracker.segment(makeSegment(s));
      tracker.flush();
      return finals;
    };
    const reused = run(true, [...first, ...second]);
    expect(reused).toHaveLength(2);
    expect(reused[1]!.conn).toBe(reused[0]!.conn);
    // The second connection alone, on new objects, gives the same report but for its number.
    const alone = run(false, second)[0]!;
    expect(reused[1]!.summary).toEqual({ ...alone.summary, id: "c2" });
    expect(reused[1]!.findings).toEqual(alone.findings);
  });

  it("reset() shares no array or object between connections (a field added later could)", () => {
    const a = new Connection();
    const b = new Connection();
    a.client.edgeFlights = new Uint32Array(15);
    a.reset();
    b.reset();
    const theirs = ownedObjects(b);
    expect(ownedObjects(a).filter((o) => theirs.includes(o))).toEqual([]);
    expect(a.client.edgeFlights).toBeNull();
    expect(a.client.peer).toBe(a.server);
    expect(a.server.peer).toBe(a.client);
  });
});
