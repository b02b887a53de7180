/** TCP flag bits as in the header's 13th byte (plus NS/AE from the 12th, shifted up). */
export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;

/** Whether the option block was walked to its end. */
export enum OptionsState {
  Complete = 0,
  /** Cut by the snapshot length: options not seen are unknown, not absent. */
  Truncated = 1,
  /** An option length ran past the header or was below 2: the walk stopped there. */
  Malformed = 2,
  /**
   * A SYN whose IPv4 header checksum is filled in and wrong: the record changed after it was sent
   * (a bit error on the capture path, an edited file). A checksum left to the NIC reads 0 at the
   * sender's capture (Windows offloads it) and is not judged. What its options say is not what was
   * sent: unknown, as if cut.
   */
  Corrupt = 3,
}

export const MAX_SACK_BLOCKS = 4;

/**
 * One decoded TCP segment. A single instance is refilled for every packet (no allocation on the
 * hot path), so consumers copy what they keep. Absent numeric options are -1.
 */
export class TcpSegment {
  /** Index of the input this came from (several files are merged) and its frame number there. */
  input = 0;
  frame = 0;
  /** Seconds since the epoch. */
  time = 0;

  ipVersion: 4 | 6 = 4;
  /** Addresses as four 32-bit words; IPv4 uses word 0 only. */
  readonly src = new Uint32Array(4);
  readonly dst = new Uint32Array(4);
  ttl = 0;
  ipId = 0;
  dontFragment = false;
  /** First fragment of a fragmented datagram: payloadLength counts this fragment only. */
  fragmented = false;

  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  /** The 16-bit window field as sent, never scaled. */
  window = 0;
  headerLength = 0;
  /** TCP payload length from the IP length fields (not reduced by the snapshot length). */
  payloadLength = 0;

  optionsState = OptionsState.Complete;
  mss = -1;
  /** Window-scale shift as carried (may exceed 14), -1 if absent. */
  wscale = -1;
  /** Length byte of the last window-scale option (3 when well-formed). */
  wscaleLength = 0;
  wscaleCount = 0;
  sackPermitted = false;
  hasTimestamp = false;
  tsVal = 0;
  tsEcr = 0;
  /** SACK blocks as left/right edge pairs. */
  sackCount = 0;
  readonly sack = new Float64Array(MAX_SACK_BLOCKS * 2);
  /** Option kinds in order of appearance (NOP=1, EOL=0 included), for fingerprints and diffs. */
  optionCount = 0;
  readonly optionKinds = new Uint8Array(40);
  /** Longest run of consecutive NOPs: a run of 3+ is where a box overwrote an option. */
  longestNopRun = 0;

  /** Reset the option fields (before decoding a segment's options, or when it has none). */
  clearOptions(): void {
    this.optionsState = OptionsState.Complete;
    this.mss = -1;
    this.wscale = -1;
    this.wscaleLength = 0;
    this.wscaleCount = 0;
    this.sackPermitted = false;
    this.hasTimestamp = false;
    this.tsVal = 0;
    this.tsEcr = 0;
    this.sackCount = 0;
    this.optionCount = 0;
    this.longestNopRun = 0;
  }
}
