/** Why a frame did not yield a TCP segment; counted per input and reported, never thrown. */
export enum DecodeStatus {
  Ok = 0,
  UnknownLinkType = 1,
  NotIp = 2,
  NotTcp = 3,
  /** A non-first IP fragment: the TCP header is in another frame. */
  LaterFragment = 4,
  /** Cut by the snapshot length before the fixed TCP header ended. */
  Truncated = 5,
  /** A header field that cannot be right (IHL < 5, TCP data offset < 5, ...). */
  Malformed = 6,
}

export const DECODE_STATUS_NAMES = [
  "tcp",
  "unknown link type",
  "not IP",
  "not TCP",
  "later IP fragment",
  "truncated before the TCP header",
  "malformed header",
] as const;
