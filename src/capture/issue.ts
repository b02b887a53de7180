/** Something wrong in an input, located to the byte. */
export interface CaptureIssue {
  /**
   * Absolute byte offset: in the decompressed data for what the capture readers find, in the
   * file itself for the gzip layer's own problems (their messages start with "gzip: ").
   */
  offset: number;
  message: string;
}

/** An input that cannot be read at all (bad magic, unreadable file): the CLI exits 2 with one line. */
export class InputError extends Error {
  constructor(
    readonly path: string,
    readonly offset: number | null,
    readonly detail: string,
  ) {
    super(offset === null ? `${path}: ${detail}` : `${path}: byte ${offset}: ${detail}`);
    this.name = "InputError";
  }
}
