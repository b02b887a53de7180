/**
 * A captured frame, as the capture readers hand it on. One object is reused for every frame:
 * `data` is the reader's current chunk and stays valid only until the reader is fed again.
 */
export interface Frame {
  /** 1-based position in its input, as tcpdump -# and Wireshark number frames. */
  number: number;
  /** Timestamp: whole seconds since the epoch, and nanoseconds within that second. */
  sec: number;
  nsec: number;
  /** LINKTYPE_* value of the interface the frame was captured on. */
  linkType: number;
  /** pcapng interface id (0 for classic pcap). */
  interfaceId: number;
  data: Uint8Array;
  /** Where the frame's bytes start in `data`. */
  offset: number;
  /** Bytes present (after snaplen) and on-the-wire length. */
  caplen: number;
  origLen: number;
  /** Absolute byte offset of the record in its input, for error messages. */
  fileOffset: number;
}

export function newFrame(): Frame {
  return {
    number: 0,
    sec: 0,
    nsec: 0,
    linkType: 0,
    interfaceId: 0,
    data: new Uint8Array(0),
    offset: 0,
    caplen: 0,
    origLen: 0,
    fileOffset: 0,
  };
}

/** Frame time as floating seconds; sub-microsecond digits are lost, which no analysis needs. */
export function frameTime(f: Frame): number {
  return f.sec + f.nsec * 1e-9;
}
