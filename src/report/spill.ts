import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Bytes kept in memory before a spill goes to a temporary file. */
const IN_MEMORY = 8 << 20;

/**
 * Bytes to be written later, in order: the JSON report's findings, which follow the whole
 * connections array but are found connection by connection. Up to 8 MiB stay in memory; past
 * that they go to a temporary file that is unlinked as soon as it is opened (nothing is left
 * behind, whatever happens to the process), so memory stays bounded whatever the number of
 * findings.
 */
export class Spill {
  private memory: Uint8Array[] = [];
  private memoryBytes = 0;
  private fd = -1;
  private fileBytes = 0;

  constructor(private readonly limit = IN_MEMORY) {}

  get size(): number {
    return this.memoryBytes + this.fileBytes;
  }

  /** Keep these bytes; `written` is called with the piece if it went to the file (it may be reused). */
  push(piece: Uint8Array, written?: (piece: Uint8Array) => void): void {
    if (piece.length === 0) return;
    if (this.fd < 0 && this.memoryBytes + piece.length <= this.limit) {
      this.memory.push(piece);
      this.memoryBytes += piece.length;
      return;
    }
    if (this.fd < 0) this.fd = openAnonymous();
    for (let off = 0; off < piece.length; ) off += writeSync(this.fd, piece, off, piece.length - off);
    this.fileBytes += piece.length;
    written?.(piece);
  }

  /**
   * Everything pushed, in order; the spill is empty (and its file closed) afterwards. What was in
   * the file is read back into buffers from `allocate`, one at a time.
   */
  *drain(allocate: () => Buffer = () => Buffer.allocUnsafe(1 << 20)): Generator<Uint8Array> {
    const memory = this.memory;
    this.memory = [];
    this.memoryBytes = 0;
    yield* memory;
    if (this.fd < 0) return;
    const fd = this.fd;
    try {
      for (let pos = 0; pos < this.fileBytes; ) {
        const buf = allocate();
        const want = Math.min(buf.length, this.fileBytes - pos);
        let got = 0;
        while (got < want) {
          const n = readSync(fd, buf, got, want - got, pos + got);
          if (n === 0) throw new Error("temporary file shrank while being read back");
          got += n;
        }
        pos += got;
        yield buf.subarray(0, got);
      }
    } finally {
      this.close();
    }
  }

  /** Give up what is left (an error elsewhere). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.fileBytes = 0;
    this.memory = [];
    this.memoryBytes = 0;
  }
}

/** A file in the temporary directory that no longer has a name: it goes away with its descriptor. */
function openAnonymous(): number {
  const dir = mkdtempSync(join(tmpdir(), "wscale-"));
  const path = join(dir, "spill");
  const fd = openSync(path, "w+", 0o600);
  unlinkSync(path);
  rmdirSync(dir);
  return fd;
}
