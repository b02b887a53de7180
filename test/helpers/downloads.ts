/** Hand-built transfers for the finding rules: a handshake, then flights shaped on purpose. */
import type { SegmentSpec } from "./segments.js";

export const C = "198.18.1.2:40000";
export const S = "198.18.2.2:443";

export function handshake(clientShift: number, serverShift: number): SegmentSpec[] {
  return [
    { from: C, to: S, flags: "S", seq: 1000, win: 64240, wscale: clientShift, mss: 1460, sackOK: true, time: 0 },
    {
      from: S,
      to: C,
      flags: "S.",
      seq: 5000,
      ack: 1001,
      win: 65160,
      wscale: serverShift,
      mss: 1460,
      sackOK: true,
      time: 0.03,
    },
  ];
}

/**
 * A download through a firewall that tracks windows without the scale: the client advertises raw
 * 100 with shift 12 (409,600 bytes), the box lets through only segments that start within ack + 100.
 * The server sends 1000-byte segments up to the scaled edge; each round one gets through, the
 * rest are dropped and sent again. Captured at the server, upstream of the box.
 * `deliverBeyond`: the round in which the box lets everything through (random loss instead).
 * `elsewhere`: rounds in which the client acknowledges 20,000 bytes (a loss far beyond the
 * unscaled edge follows, and nothing beyond it is delivered before it is sent again).
 */
export function boxedDownload(
  rounds: number,
  deliverBeyond = -1,
  elsewhere: ReadonlySet<number> = new Set(),
): SegmentSpec[] {
  const specs = handshake(12, 7);
  let t = 0.06;
  let ack = 5001;
  let sent = 5001; // highest sequence number the server has sent
  specs.push({ from: C, to: S, flags: ".", seq: 1001, ack, win: 100, time: t });
  for (let r = 0; r < rounds; r++) {
    // Fill the scaled window: anything not sent yet is new, anything below `sent` a retransmission.
    for (let seq = ack; seq + 1000 <= ack + (100 << 12); seq += 1000) {
      specs.push({ from: S, to: C, flags: ".", seq, ack: 1001, win: 509, len: 1000, time: (t += 0.00001) });
      if (seq + 1000 > sent) sent = seq + 1000;
    }
    // The box passed [ack, ack + 1000) only (or everything, in the round it behaves).
    ack = r === deliverBeyond ? sent : ack + (elsewhere.has(r) ? 20_000 : 1000);
    specs.push({ from: C, to: S, flags: ".", seq: 1001, ack, win: 100, time: (t += 0.02) });
    t += 0.2; // the retransmission timer
  }
  return specs;
}
