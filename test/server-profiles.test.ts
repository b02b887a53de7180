/**
 * What each server's SYN-ACKs carried across connections: the syn-cookies rule rests on it ("the
 * same server offered wscale elsewhere"), so a server mixed up with another, or forgotten while
 * still busy, would change a finding.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ServerProfiles } from "../src/connections/server-profiles.js";
import { makeSegment, resetFrames, type SegmentSpec } from "./helpers/segments.js";

const C = "198.18.1.2:42501";

/** A SYN-ACK from `server`; wscale and SACK-permitted as given. */
const synAck = (server: string, extra: Partial<SegmentSpec> = {}): SegmentSpec => ({
  from: server,
  to: C,
  flags: "S.",
  seq: 1,
  ack: 1,
  win: 65160,
  ...extra,
});

function profiles(specs: SegmentSpec[]): ServerProfiles {
  const p = new ServerProfiles();
  for (const s of specs) p.note(makeSegment(s));
  return p;
}

function get(p: ServerProfiles, endpoint: string) {
  const seg = makeSegment({ from: endpoint, to: C });
  return p.get(seg.src, seg.ipVersion, seg.srcPort);
}

beforeEach(() => resetFrames());

describe("server profiles", () => {
  it("count SYN-ACKs, those with wscale (0 is an offer too) and SACK-permitted; the first wscale frame is the evidence", () => {
    const s = "198.18.2.2:443";
    const p = profiles([
      synAck(s, { frame: 3 }),
      synAck(s, { frame: 5, wscale: 0 }),
      synAck(s, { frame: 9, wscale: 7, sackOK: true }),
      synAck(s, { frame: 12, sackOK: true }),
    ]);
    expect(get(p, s)).toEqual({ synAcks: 4, withWscale: 2, withSack: 2, wscaleFrame: 5 });
  });

  it("only SYN-ACKs are profiled: a SYN or an ACK from the server's address and port is not", () => {
    const s = "198.18.2.2:443";
    const p = profiles([
      { from: s, to: C, flags: "S", seq: 1, win: 1, wscale: 7 },
      { from: s, to: C, flags: ".", seq: 1, ack: 1, win: 1 },
    ]);
    expect(get(p, s)).toBeUndefined();
  });

  it("servers are told apart by address and port, IPv4 and IPv6 (addresses equal in their first 32 bits)", () => {
    const servers = [
      "198.18.0.0:80",
      "198.19.0.0:79", // a key of address / 65536 + port would make it 198.18.0.0:80
      "198.18.2.2:80",
      "198.18.2.2:443",
      "[2001:db8::1]:443",
      "[2001:db8::2]:443",
      "[2001:db8::1]:80",
    ];
    // Server i sends i + 1 SYN-ACKs, each offering wscale.
    const p = profiles(servers.flatMap((s, i) => Array.from({ length: i + 1 }, () => synAck(s, { wscale: 7 }))));
    expect(servers.map((s) => get(p, s)?.synAcks)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(get(p, "198.18.2.3:80")).toBeUndefined();
  });

  it("at most 4,096 servers: the one longest without a SYN-ACK is forgotten, never a busy one", () => {
    const server = (i: number) => `198.18.${i >> 8}.${i & 0xff}:443`;
    const specs = Array.from({ length: 4096 }, (_, i) => synAck(server(i)));
    // Server 0 answers again (not right after its first SYN-ACK: the recency is updated by a later one).
    specs.push(synAck(server(0), { wscale: 7 }), synAck(server(4096)));
    const p = profiles(specs);
    expect(get(p, server(0))).toMatchObject({ synAcks: 2, withWscale: 1 });
    expect(get(p, server(1))).toBeUndefined();
    expect(get(p, server(2))?.synAcks).toBe(1);
    expect(get(p, server(4096))?.synAcks).toBe(1);
    // One more forgets the next oldest only.
    p.note(makeSegment(synAck(server(4097))));
    expect([1, 2, 3].map((i) => get(p, server(i)) !== undefined)).toEqual([false, false, true]);
  });

  it("a server answering many times in a row stays the most recent", () => {
    const server = (i: number) => `198.18.${i >> 8}.${i & 0xff}:443`;
    const specs = [synAck(server(0)), synAck(server(1)), synAck(server(1))];
    for (let i = 2; i < 4096; i++) specs.push(synAck(server(i)));
    specs.push(synAck(server(1)), synAck(server(1)), synAck(server(4096)));
    const p = profiles(specs);
    expect(get(p, server(0))).toBeUndefined();
    expect(get(p, server(1))?.synAcks).toBe(4);
  });
});
