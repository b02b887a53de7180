/**
 * pcapng blocks as the annotated export writes them (little-endian, one section): the section
 * header with comments, an interface description per input interface (nanosecond timestamps),
 * and enhanced packet blocks with packet comments. Only what the export needs; see the pcapng
 * draft (draft-ietf-opsawg-pcapng) sections 4.1-4.3 for the layouts.
 */

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Option codes: opt_comment, shb_userappl, if_name, if_tsresol. */
const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_TSRESOL = 9;

/** An option's value may be at most this long (its length field is 16 bits). */
const MAX_OPTION = 0xffff;

const utf8 = new TextEncoder();

type Option = [code: number, value: Uint8Array];

function textOption(code: number, text: string): Option {
  let bytes = utf8.encode(text);
  // Cut at a character boundary, never in the middle of a UTF-8 sequence.
  if (bytes.length > MAX_OPTION) {
    let end = MAX_OPTION;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  return [code, bytes];
}

const pad4 = (n: number) => (n + 3) & ~3;

function optionsLength(options: readonly Option[]): number {
  return options.length === 0 ? 0 : options.reduce((sum, [, v]) => sum + 4 + pad4(v.length), 0) + 4;
}

function writeOptions(view: DataView, bytes: Uint8Array, at: number, options: readonly Option[]): number {
  if (options.length === 0) return at;
  let off = at;
  for (const [code, value] of options) {
    view.setUint16(off, code, true);
    view.setUint16(off + 2, value.length, true);
    bytes.set(value, off + 4);
    off += 4 + pad4(value.length);
  }
  view.setUint32(off, OPT_END, true); // opt_endofopt: code 0, length 0
  return off + 4;
}

/** A block: type, total length, `body` bytes of fixed fields, then options, then the length again. */
function block(type: number, body: number, fill: (view: DataView, bytes: Uint8Array) => number, options: Option[]) {
  const length = 12 + pad4(body) + optionsLength(options);
  const bytes = new Uint8Array(length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, length, true);
  const end = fill(view, bytes);
  writeOptions(view, bytes, 8 + pad4(end - 8), options);
  view.setUint32(length - 4, length, true);
  return bytes;
}

/** The section header: byte-order magic, version 1.0, section length unknown (-1), comments. */
export function sectionHeader(comments: readonly string[], application: string): Uint8Array {
  const options = [...comments.map((c) => textOption(OPT_COMMENT, c)), textOption(SHB_USERAPPL, application)];
  return block(
    SHB,
    16,
    (view) => {
      view.setUint32(8, BYTE_ORDER_MAGIC, true);
      view.setUint16(12, 1, true);
      view.setUint16(14, 0, true);
      view.setBigInt64(16, -1n, true);
      return 24;
    },
    options,
  );
}

/** An interface: its link type, no snapshot limit (0), nanosecond timestamps (if_tsresol 9), a name. */
export function interfaceDescription(linkType: number, name: string): Uint8Array {
  return block(
    IDB,
    8,
    (view) => {
      view.setUint16(8, linkType, true);
      view.setUint16(10, 0, true);
      view.setUint32(12, 0, true);
      return 16;
    },
    [textOption(IF_NAME, name), [IF_TSRESOL, Uint8Array.of(9)]],
  );
}

/** A packet on interface `iface`: time in seconds and nanoseconds, its captured bytes, comments. */
export function enhancedPacket(
  iface: number,
  sec: number,
  nsec: number,
  data: Uint8Array,
  origLen: number,
  comments: readonly string[],
): Uint8Array {
  const ts = BigInt(sec) * 1_000_000_000n + BigInt(nsec);
  return block(
    EPB,
    20 + data.length,
    (view, bytes) => {
      view.setUint32(8, iface, true);
      view.setUint32(12, Number(ts >> 32n), true);
      view.setUint32(16, Number(ts & 0xffff_ffffn), true);
      view.setUint32(20, data.length, true);
      view.setUint32(24, origLen, true);
      bytes.set(data, 28);
      return 28 + data.length;
    },
    comments.map((c) => textOption(OPT_COMMENT, c)),
  );
}
