/**
 * Independent analyses on all cores: a pool of worker threads (node:worker_threads) plus the main
 * thread. A worker runs the CLI's own file (the one bundle) and, started as a worker, serves jobs
 * instead of parsing a command line. A job is a handler name and arguments that survive a
 * structured clone (paths, options); what cannot (stdin, a FIFO already read from) runs on the
 * main thread through a closure. Handlers report progress as events (e.g. NDJSON batches) and
 * return one result; Uint8Arrays in a result's or event's arrays are moved, not copied.
 */
import { availableParallelism } from "node:os";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { InputError } from "../capture/issue.js";

/** What a job does; the same function runs in a worker or on the main thread. */
// biome-ignore lint/suspicious/noExplicitAny: handlers check their own arguments' shape
export type JobHandler = (args: any, post: (event: unknown) => void) => Promise<unknown>;

const WORKER_FLAG = "wscaleJobs";

let entry: string | URL | null = null;

/** The file a worker thread runs: the CLI's entry module (dist/wscale.js once bundled). */
export function setWorkerEntry(url: string | URL): void {
  entry = url;
}

/** This thread was started by a JobPool: serve jobs, do not parse a command line. */
export function isJobWorker(): boolean {
  return !isMainThread && (workerData as Record<string, unknown> | null)?.[WORKER_FLAG] === true;
}

/** --jobs default: the cores this process may use. */
export function defaultJobs(): number {
  return availableParallelism();
}

interface Request {
  id: number;
  kind: string;
  args: unknown;
}

type Reply = { id: number; event: unknown } | { id: number; result: unknown } | { id: number; error: SerializedError };

interface SerializedError {
  message: string;
  stack?: string;
  input?: { path: string; offset: number | null; detail: string };
}

/** In a worker thread: run each job sent by the pool and send back its events and result. */
export function serveJobs(handlers: Record<string, JobHandler>): void {
  const port = parentPort!;
  port.on("message", async (req: Request) => {
    const post = (event: unknown) => port.postMessage({ id: req.id, event } satisfies Reply, transferables(event));
    try {
      const handler = handlers[req.kind];
      if (!handler) throw new Error(`no job handler "${req.kind}"`);
      const result = await handler(req.args, post);
      port.postMessage({ id: req.id, result } satisfies Reply, transferables(result));
    } catch (e) {
      port.postMessage({ id: req.id, error: serializeError(e) } satisfies Reply);
    }
  });
}

function serializeError(e: unknown): SerializedError {
  if (e instanceof InputError)
    return { message: e.message, input: { path: e.path, offset: e.offset, detail: e.detail } };
  if (e instanceof Error) return { message: e.message, stack: e.stack };
  return { message: String(e) };
}

function deserializeError(s: SerializedError): Error {
  if (s.input) return new InputError(s.input.path, s.input.offset, s.input.detail);
  const err = new Error(s.message);
  if (s.stack) err.stack = s.stack;
  return err;
}

/** The buffers of the Uint8Arrays in a value's own arrays (one level): moved to the other thread. */
function transferables(value: unknown): ArrayBuffer[] {
  if (value === null || typeof value !== "object") return [];
  const out = new Set<ArrayBuffer>();
  for (const v of Object.values(value)) {
    if (!Array.isArray(v)) continue;
    for (const item of v) {
      if (item instanceof Uint8Array && item.buffer instanceof ArrayBuffer && item.byteLength > 0) out.add(item.buffer);
    }
  }
  return [...out];
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onEvent?: (event: unknown) => void;
}

class WorkerSlot {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  alive = true;

  constructor(url: string | URL) {
    this.worker = new Worker(url, { workerData: { [WORKER_FLAG]: true } });
    this.worker.unref();
    this.worker.on("message", (reply: Reply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      if ("event" in reply) {
        p.onEvent?.(reply.event);
        return;
      }
      this.pending.delete(reply.id);
      if (this.pending.size === 0) this.worker.unref();
      if ("error" in reply) p.reject(deserializeError(reply.error));
      else p.resolve(reply.result);
    });
    const failAll = (e: unknown) => {
      this.alive = false;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on("error", failAll);
    this.worker.on("exit", (code) =>
      failAll(new Error(`a worker thread exited (code ${code}) before finishing its job`)),
    );
  }

  run(kind: string, args: unknown, onEvent?: (event: unknown) => void): Promise<unknown> {
    const id = this.nextId++;
    // A running job keeps the process alive; an idle worker does not.
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onEvent });
      this.worker.postMessage({ id, kind, args } satisfies Request);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export interface RunOptions {
  /** Events the handler posts (in order). */
  onEvent?: (event: unknown) => void;
}

type Start = (on: WorkerSlot | "main") => void;

/**
 * Runs jobs on up to `jobs` threads at once: the main thread and `jobs - 1` worker threads,
 * started when first needed. Jobs that must stay on the main thread start at once, side by side
 * (their inputs are streams: reading one to its end first could stall the writer of another);
 * the others take a worker while main-thread jobs run, else the main thread when it is free.
 * Without a worker entry (tests that import the modules) or with one job, everything runs on the
 * main thread.
 */
export class JobPool {
  private mainBusy = false;
  private hereRunning = 0;
  private readonly idle: WorkerSlot[] = [];
  private readonly all: WorkerSlot[] = [];
  private readonly queue: Start[] = [];

  constructor(
    readonly jobs: number,
    private readonly handlers: Record<string, JobHandler>,
  ) {}

  /** Run a job that cannot leave the main thread (it reads stdin, or a stream already opened here). */
  runHere<R>(job: () => Promise<R>): Promise<R> {
    this.hereRunning++;
    return job().finally(() => {
      this.hereRunning--;
      this.dispatch();
    });
  }

  /** Run handler `kind` on `args` on a free thread: a worker, or the main thread when it is free. */
  run<R>(kind: string, args: unknown, opts: RunOptions = {}): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push((on) => {
        const work =
          on === "main"
            ? (this.handlers[kind]!(args, (e) => opts.onEvent?.(e)) as Promise<R>)
            : (on.run(kind, args, opts.onEvent) as Promise<R>);
        work.then(resolve, reject).finally(() => {
          if (on === "main") this.mainBusy = false;
          else if (on.alive) this.idle.push(on);
          this.dispatch();
        });
      });
      this.dispatch();
    });
  }

  /** Worker threads started so far. */
  get threads(): number {
    return this.all.length;
  }

  /** Stop the worker threads (after the last job). */
  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let on: WorkerSlot | "main" | null = null;
      if (!this.mainBusy && this.hereRunning === 0) on = "main";
      else on = this.idle.pop() ?? this.spawn() ?? (this.mainBusy ? null : "main");
      if (on === null) return;
      if (on === "main") this.mainBusy = true;
      this.queue.shift()!(on);
    }
  }

  private spawn(): WorkerSlot | null {
    if (entry === null || this.all.filter((w) => w.alive).length >= this.jobs - 1) return null;
    const slot = new WorkerSlot(entry);
    this.all.push(slot);
    return slot;
  }
}
