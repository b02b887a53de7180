/**
 * Where a report goes, by coreutils' rules (cp, tee, sort -o), for every command:
 * - stdout (no -o, or "-"), and any name for one of our descriptors (/dev/stdout, /dev/fd/63 of
 *   `-o >(wc -c)`, /proc/self/fd/N): written to that descriptor, as a shell redirection would;
 * - anything else that is not a regular file (a device such as /dev/null, a FIFO): written through;
 * - a regular file or a new name: a temporary file beside it, renamed over it once complete, with
 *   the old file's mode (and owner, as root); a symlink is followed and its target replaced;
 * - refused: a directory, a block device, a socket, and one of the inputs (same device and inode,
 *   whatever the names: symlinks and hard links included).
 * The checks run before any input is read. Every failure is an OutputError: one line
 * `<path>: <cause>`, exit 2.
 */
import { type BigIntStats, constants, fstat, write as fsWrite, unlinkSync } from "node:fs";
import { type FileHandle, lstat, open, readlink, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { escapeControl } from "../report/escape.js";

/** How -o behaves, for the --help of every command that has it. */
export const OUTPUT_HELP =
  "write the report to this file instead of stdout: a regular file is replaced whole (a temporary file, then renamed; a symlink's target is replaced), a device, FIFO or >(command) is written through; never one of the inputs";

/** A report: one string, or the pieces of a large one (text or bytes), possibly produced as they are written. */
export type ReportText = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

/** An output that cannot be written: one line naming it, exit 2. */
export class OutputError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path === "" ? "''" : escapeControl(path)}: ${reason}`);
    this.name = "OutputError";
  }
}

/** Where a report goes, written piece by piece as it is made. */
export interface ReportOutput {
  /** The report goes to our stdout (colour and terminal width may apply). */
  readonly toStdout: boolean;
  /**
   * Write these pieces; resolves when the destination can take more (it waits for a slow reader).
   * `written` is called with each Uint8Array piece once the output no longer needs it (a streamed
   * report reuses its buffers).
   */
  write(text: ReportText, written?: (piece: Uint8Array) => void): Promise<void>;
  /** Everything is written: flush, and put a replaced file in place. */
  close(): Promise<void>;
  /** Give up: a temporary file is removed and the target stays as it was. */
  abort(): Promise<void>;
}

/** What an -o path turned out to be. */
type Target =
  | { kind: "descriptor"; fd: number }
  | { kind: "through"; path: string; stat: BigIntStats }
  | { kind: "replace"; path: string; stat: BigIntStats | null };

/**
 * Check where a report will go and get it ready: open the descriptor, device or FIFO, or create
 * the temporary file. `path` undefined or "-" is stdout. `inputs` are the paths being read ("-"
 * is stdin): the output may not be one of them.
 */
export async function openOutput(path: string | undefined, inputs: readonly string[]): Promise<ReportOutput> {
  const shown = path === undefined || path === "-" ? "stdout" : path;
  const target: Target = path === undefined || path === "-" ? { kind: "descriptor", fd: 1 } : await resolveTarget(path);
  const identity = target.kind === "descriptor" ? await descriptorStat(shown, target.fd) : target.stat;
  if (identity !== null) await refuseInput(shown, identity, inputs);
  switch (target.kind) {
    case "descriptor":
      if (target.fd === 1) return new StreamOutput(process.stdout, true);
      if (target.fd === 2) return new StreamOutput(process.stderr, false);
      return new DescriptorOutput(shown, target.fd, null);
    case "through": {
      const fh = await openOrFail(shown, () => open(target.path, constants.O_WRONLY));
      return new DescriptorOutput(shown, fh.fd, fh);
    }
    case "replace":
      return ReplacingOutput.create(shown, target.path, target.stat);
  }
}

/** Write a whole report to `path` (stdout when undefined or "-"), by the rules of openOutput. */
export async function writeReport(text: ReportText, path: string | undefined, inputs: readonly string[]) {
  const out = await openOutput(path, inputs);
  try {
    await out.write(text);
    await out.close();
  } catch (e) {
    await out.abort();
    throw e;
  }
}

/** `/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`: one of our own descriptors, or null. */
function descriptorOf(path: string): number | null {
  if (path === "/dev/stdout") return 1;
  if (path === "/dev/stderr") return 2;
  const m = /^\/(?:dev\/fd|proc\/(?:self|thread-self|(\d+))\/fd)\/(\d+)$/.exec(path);
  if (m === null || (m[1] !== undefined && Number(m[1]) !== process.pid)) return null;
  return Number(m[2]);
}

const MAX_LINKS = 40;

/** Follow symlinks one at a time (a dangling one names the file to create) and classify the end. */
async function resolveTarget(path: string): Promise<Target> {
  if (path === "") throw new OutputError(path, "empty file name");
  let current = path;
  for (let hops = 0; hops <= MAX_LINKS; hops++) {
    const fd = descriptorOf(current);
    if (fd !== null) return { kind: "descriptor", fd };
    let st: BigIntStats;
    try {
      st = await lstat(current, { bigint: true });
    } catch (e) {
      if (errorCode(e) !== "ENOENT") throw new OutputError(path, causeOf(e));
      if (current.endsWith("/")) throw new OutputError(path, "no such directory");
      await requireDirectory(path, dirname(current));
      return { kind: "replace", path: current, stat: null };
    }
    if (st.isSymbolicLink()) {
      const to = await readlink(current).catch((e) => {
        throw new OutputError(path, causeOf(e));
      });
      // Another process's descriptor (/proc/PID/fd/N -> "pipe:[123]") is no path: open it as it is.
      if (!to.startsWith("/") && /^\/proc\/[^/]+\/fd\//.test(current)) return through(path);
      current = resolve(dirname(current), to);
      continue;
    }
    if (st.isDirectory()) throw new OutputError(path, "is a directory");
    if (st.isFile()) return { kind: "replace", path: current, stat: st };
    if (st.isBlockDevice()) throw new OutputError(path, "is a block device (a report is never written onto a disk)");
    if (st.isSocket()) throw new OutputError(path, "is a socket");
    return { kind: "through", path: current, stat: st };
  }
  throw new OutputError(path, "too many levels of symbolic links");
}

async function through(path: string): Promise<Target> {
  try {
    return { kind: "through", path, stat: await stat(path, { bigint: true }) };
  } catch (e) {
    throw new OutputError(path, causeOf(e));
  }
}

async function requireDirectory(path: string, dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (e) {
    if (errorCode(e) === "ENOENT") throw new OutputError(path, `no such directory ${escapeControl(dir)}`);
    throw new OutputError(path, causeOf(e));
  }
  throw new OutputError(path, `${escapeControl(dir)} is not a directory`);
}

function descriptorStat(path: string, fd: number): Promise<BigIntStats | null> {
  return new Promise((done, fail) =>
    fstat(fd, { bigint: true }, (err, st) => {
      if (err === null) done(st);
      // Our stdout closed (`>&-`) is found out when writing; any other descriptor must be open.
      else if (fd === 1) done(null);
      else fail(new OutputError(path, causeOf(err)));
    }),
  );
}

/** Refuse an output that is one of the inputs: same device and inode (a terminal may be both). */
async function refuseInput(path: string, out: BigIntStats, inputs: readonly string[]): Promise<void> {
  if (out.isCharacterDevice()) return;
  for (const input of inputs) {
    let st: BigIntStats | null;
    try {
      st = input === "-" ? await descriptorStat(input, 0).catch(() => null) : await stat(input, { bigint: true });
    } catch {
      continue; // an input that cannot be read is reported as such by the analysis
    }
    if (st !== null && st.dev === out.dev && st.ino === out.ino) {
      const name = input === "-" ? "stdin" : escapeControl(input);
      const same = input === path ? "" : ` ${name}`;
      throw new OutputError(path, `is the input${same}: the report would overwrite it (choose another output)`);
    }
  }
}

async function openOrFail(path: string, how: () => Promise<FileHandle>): Promise<FileHandle> {
  try {
    return await how();
  } catch (e) {
    throw new OutputError(path, causeOf(e));
  }
}

function errorCode(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | null)?.code;
}

const CAUSES: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ENOTDIR: "a component of the path is not a directory",
  EISDIR: "is a directory",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EFBIG: "file too large",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  ENXIO: "no such device or address",
  EBADF: "not an open file descriptor",
  EIO: "input/output error",
  ETXTBSY: "text file busy",
  EINVAL: "invalid argument",
};

/** The cause of a failed system call as a short phrase (no stack, no syscall name). */
export function causeOf(e: unknown): string {
  const code = errorCode(e);
  if (code !== undefined) return CAUSES[code] ?? code;
  return e instanceof Error ? e.message : String(e);
}

/** stdout or stderr: Node's own streams, which keep our writes in order with everything else printed. */
class StreamOutput implements ReportOutput {
  constructor(
    private readonly stream: NodeJS.WriteStream,
    readonly toStdout: boolean,
  ) {}

  async write(text: ReportText, written?: (piece: Uint8Array) => void): Promise<void> {
    for await (const piece of typeof text === "string" ? [text] : text) {
      const more =
        written && typeof piece !== "string"
          ? this.stream.write(piece, () => written(piece))
          : this.stream.write(piece);
      if (!more) await new Promise((r) => this.stream.once("drain", r));
    }
  }

  close(): Promise<void> {
    return new Promise((done, fail) => this.stream.write("", (err) => (err ? fail(err) : done())));
  }

  async abort(): Promise<void> {}
}

/** Bytes a descriptor output writes behind the analysis, at most: past it, write() waits for the oldest. */
const WRITE_BEHIND = 4 << 20;

/** A descriptor written directly: another inherited one, a device, a FIFO, or a temporary file. */
class DescriptorOutput implements ReportOutput {
  readonly toStdout = false;
  /** The reader went away (EPIPE): like stdout into `| head`, the rest is dropped without an error. */
  private gone = false;

  constructor(
    protected readonly path: string,
    protected readonly fd: number,
    protected readonly handle: FileHandle | null,
  ) {}

  /** Writes under way, oldest first: the analysis goes on while they run. */
  private behind: { done: Promise<void>; settled: boolean }[] = [];
  private behindBytes = 0;
  private failure: unknown = null;

  async write(text: ReportText, written?: (piece: Uint8Array) => void): Promise<void> {
    for await (const piece of typeof text === "string" ? [text] : text) {
      if (written === undefined || typeof piece === "string") {
        await this.settle();
        await this.writePiece(piece);
        continue;
      }
      // `written` means the piece stays untouched until it is called: it can be written behind
      // the analysis (awaiting each write left the thread idle a fifth of a many-flows run).
      const w = { done: Promise.resolve(), settled: false };
      const before = this.behind.at(-1)?.done ?? Promise.resolve();
      w.done = before
        .then(() => (this.failure === null ? this.writePiece(piece) : undefined))
        .catch((e) => {
          this.failure ??= e;
        })
        .finally(() => {
          w.settled = true;
          this.behindBytes -= piece.length;
          written(piece);
        });
      this.behind.push(w);
      this.behindBytes += piece.length;
      while (this.behind[0]?.settled) this.behind.shift();
      while (this.behindBytes > WRITE_BEHIND) await this.behind.shift()!.done;
      if (this.failure !== null) throw this.failure;
    }
  }

  /** Every write behind done; the first that failed is thrown. */
  protected async settle(): Promise<void> {
    while (this.behind.length > 0) await this.behind.shift()!.done;
    if (this.failure !== null) throw this.failure;
  }

  private async writePiece(piece: string | Uint8Array): Promise<void> {
    if (this.gone) return;
    const bytes = typeof piece === "string" ? Buffer.from(piece) : piece;
    for (let at = 0; at < bytes.length; ) {
      try {
        at += await writeSome(this.fd, bytes, at);
      } catch (e) {
        const code = errorCode(e);
        if (code === "EPIPE") {
          this.gone = true;
          return;
        }
        // A descriptor someone else made non-blocking: wait for room instead of failing.
        if (code === "EAGAIN") await new Promise((r) => setTimeout(r, 5));
        else throw new OutputError(this.path, causeOf(e));
      }
    }
  }

  async close(): Promise<void> {
    await this.settle();
    await this.handle?.close();
  }

  async abort(): Promise<void> {
    await this.settle().catch(() => {});
    await this.handle?.close().catch(() => {});
  }
}

function writeSome(fd: number, bytes: Uint8Array, at: number): Promise<number> {
  return new Promise((done, fail) =>
    fsWrite(fd, bytes, at, bytes.length - at, null, (err, n) => (err ? fail(err) : done(n))),
  );
}

/** A regular file (or a new one): written to a temporary file beside it, renamed over it at the end. */
class ReplacingOutput extends DescriptorOutput {
  private finished = false;
  private readonly cleanup = () => {
    try {
      unlinkSync(this.tmp);
    } catch {}
  };
  private readonly onSignal = (signal: NodeJS.Signals) => {
    // Interrupted while analysing: leave no temporary file behind, then die of the same signal.
    this.cleanup();
    this.unhook();
    process.kill(process.pid, signal);
  };

  private constructor(
    path: string,
    private readonly target: string,
    private readonly tmp: string,
    handle: FileHandle,
  ) {
    super(path, handle.fd, handle);
    process.on("exit", this.cleanup);
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onSignal);
  }

  static async create(path: string, target: string, old: BigIntStats | null): Promise<ReplacingOutput> {
    const dir = dirname(target);
    const tmp = join(dir, `.${basename(target).slice(0, 180)}.${process.pid}.${Date.now().toString(36)}.wscale-tmp`);
    const handle = await openOrFail(path, () =>
      // A new file gets the usual 0666 less the umask; a replaced one its old mode, set below.
      open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, old === null ? 0o666 : 0o600),
    ).catch((e: OutputError) => {
      throw new OutputError(path, `cannot create a file in ${escapeControl(dir)}: ${e.reason}`);
    });
    const out = new ReplacingOutput(path, target, tmp, handle);
    if (old !== null) {
      try {
        await handle.chmod(Number(old.mode & 0o777n));
        // As root, the replaced file keeps its owner too (anyone else cannot give a file away).
        if (process.getuid?.() === 0) await handle.chown(Number(old.uid), Number(old.gid));
      } catch (e) {
        await out.abort();
        throw new OutputError(path, causeOf(e));
      }
    }
    return out;
  }

  override async close(): Promise<void> {
    if (this.finished) return;
    try {
      await this.settle();
      await this.handle!.datasync();
      await this.handle!.close();
      await rename(this.tmp, this.target);
    } catch (e) {
      await this.abort();
      throw e instanceof OutputError ? e : new OutputError(this.path, causeOf(e));
    }
    this.finished = true;
    this.unhook();
  }

  override async abort(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await super.abort();
    await rm(this.tmp, { force: true });
    this.unhook();
  }

  private unhook(): void {
    process.off("exit", this.cleanup);
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onSignal);
  }
}
