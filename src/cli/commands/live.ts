import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { analyzeStream } from "../../analysis/analyze.js";
import { WorstConnections } from "../../analysis/worst-connections.js";
import type { Connection } from "../../connections/connection.js";
import { connectionId, summarize } from "../../connections/summary.js";
import { evaluateFindings } from "../../findings/evaluate.js";
import type { Finding, Severity } from "../../findings/finding.js";
import { JsonReportWriter } from "../../report/json.js";
import { DEFAULT_TOP, impliedExitStatus } from "../../report/model.js";
import { NdjsonWriter } from "../../report/ndjson.js";
import { renderFinding, renderTable } from "../../report/table.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG, settleBeforeExit } from "../exit-codes.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor, emit } from "../terminal.js";

export interface LiveArgs {
  input?: string;
  interface?: string;
  filter?: string;
  format: "table" | "json" | "ndjson";
  failOn: Severity | "never";
  idleTimeout: number;
  color: boolean;
}

/** After the first Ctrl-C, how long to take what the pipe still delivers (tcpdump flushes). */
const GRACE_MS = 2000;
/** How often open connections are evaluated, so findings appear while the transfer runs. */
const EVALUATE_EVERY_MS = 500;

export const liveCommand: CommandModule<object, LiveArgs> = {
  command: "live [input]",
  describe: "Watch a capture as it is written: handshakes and findings as they happen, the report at the end",
  builder: (y: Argv) =>
    y
      .positional("input", { type: "string", describe: "- for stdin (pcap, pcapng or tcpdump -n text)" })
      .option("interface", {
        alias: "i",
        type: "string",
        describe: "capture on this interface: runs tcpdump -U -w - -i IFACE",
      })
      .option("filter", { alias: "f", type: "string", describe: "a tcpdump filter, with -i (default: tcp)" })
      .option("format", { alias: "F", choices: ["table", "json", "ndjson"] as const, default: "table" as const })
      .option("fail-on", { choices: ["info", "warn", "error", "never"] as const, default: "error" as const })
      .option("idle-timeout", {
        type: "number",
        default: 300,
        describe: "seconds of capture time before an idle connection is finalised",
      })
      .option("color", { type: "boolean", default: true })
      .check((a) => {
        // A string (not a throw) reaches the usage-error path: exit 2.
        return (a.input === undefined) === (a.interface === undefined) ? "give either - (stdin) or -i IFACE" : true;
      })
      .example("tcpdump -i eth0 -U -w - tcp | $0 live -", "binary capture on stdin")
      .example("tcpdump -nli eth0 tcp | $0 live -", "tcpdump's text output on stdin")
      .example("$0 live -i eth0 -f 'port 80'", "run tcpdump itself")
      .example("tcpdump -i eth0 -U -w - tcp | $0 live - --format ndjson", "one JSON event per line for pipelines")
      .epilog(
        `${HELP_EPILOG}\nCtrl-C: take what the pipe still delivers (up to 2 s), then report; a second Ctrl-C quits at once.`,
      ) as unknown as Argv<LiveArgs>,
  handler: async (args: ArgumentsCamelCase<LiveArgs>) => {
    const color = colorFor(process.stdout, !args.color);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    // ndjson and json are streamed as events happen (the same writers as analyze); the table
    // keeps only the worst connections for the final report, with exact counts of the rest.
    const ndjson = args.format === "ndjson" ? new NdjsonWriter(args.failOn) : null;
    const json = args.format === "json" ? new JsonReportWriter(args.failOn) : null;
    const worst = args.format === "table" ? new WorstConnections(DEFAULT_TOP) : null;
    const tally = (ndjson ?? json ?? worst!).tally;
    // Written at once, in order; between reads the analysis waits for stdout to drain.
    const flush = () => {
      const writer = ndjson ?? json;
      for (const piece of writer?.take() ?? []) process.stdout.write(piece, () => writer!.release(piece));
    };
    const status = process.stderr.isTTY ? new StatusLine() : null;

    let tcpdump: Tcpdump | null = null;
    let stdin: NodeJS.ReadableStream | undefined; // undefined: our own stdin, read by descriptor
    if (args.interface !== undefined) {
      tcpdump = await startTcpdump(args.interface, args.filter);
      stdin = tcpdump.child.stdout!;
    }

    // First SIGINT/SIGTERM: keep reading for the grace period, then report. Second: quit now.
    let stopRequested = false;
    let resolveStop!: () => void;
    const stop = new Promise<void>((r) => {
      resolveStop = r;
    });
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopRequested) process.exit(sig === "SIGINT" ? 130 : 143);
      stopRequested = true;
      tcpdump?.child.kill("SIGINT");
      setTimeout(resolveStop, GRACE_MS).unref();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    // Finding ids announced per open connection: each finding is printed once, when established.
    const printed = new Map<string, Set<string>>();
    let findings = 0;
    const announce = (f: Finding) => {
      const seen = printed.get(f.connection) ?? new Set<string>();
      if (seen.has(f.id)) return;
      seen.add(f.id);
      printed.set(f.connection, seen);
      findings++;
      status?.clear();
      if (ndjson) ndjson.finding(f);
      else if (args.format === "table") out(renderFinding(f, color).join("\n"));
    };
    // Evaluate open connections on a timer too: a crawling transfer may send nothing for a while.
    let openConnections: () => Iterable<Connection> = () => [];
    let packetsRead = 0;
    // Only connections that saw packets since their last look: a busy link has many idle ones.
    // Keyed by id, not by object: the tracker reuses a finished connection's objects.
    const lookedAt = new Map<string, number>();
    const evaluateOpen = () => {
      let open = 0;
      for (const conn of openConnections()) {
        open++;
        const id = connectionId(conn);
        if (lookedAt.get(id) === conn.packets) continue;
        lookedAt.set(id, conn.packets);
        for (const f of evaluateFindings(conn, summarize(conn))) if (f.severity !== "info") announce(f);
      }
      flush();
      status?.show(`wscale: ${packetsRead} packets, ${open} open connections, ${findings} findings`);
    };
    const timer = setInterval(evaluateOpen, EVALUATE_EVERY_MS);
    const run = await analyzeStream([restoreStdinArg(args.input ?? "-")], {
      idleTimeout: args.idleTimeout,
      stdin,
      stop,
      onHandshake(conn: Connection) {
        status?.clear();
        if (ndjson) ndjson.handshake(summarize(conn));
        else if (args.format === "table") out(handshakeLine(conn));
      },
      onConnection(summary, found) {
        if (json) json.add(summary, found);
        else {
          for (const f of found) announce(f);
          if (ndjson) {
            ndjson.connection(summary);
            ndjson.tally.add(summary, found);
          } else worst!.add(summary, found);
        }
        printed.delete(summary.id);
        lookedAt.delete(summary.id);
      },
      drain() {
        flush();
        return process.stdout.writableNeedDrain ? once(process.stdout, "drain").then(() => {}) : undefined;
      },
      onRead(live, packets) {
        openConnections = live;
        packetsRead = packets;
      },
    }).catch(async (e) => {
      // tcpdump that could not start leaves an empty pipe: say why it failed, not "empty input".
      const failure = await tcpdump?.failure;
      if (failure) throw new UsageError(`tcpdump failed: ${failure}`);
      throw e;
    });
    clearInterval(timer);
    status?.clear();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    tcpdump?.child.kill("SIGINT");

    if (worst) {
      out("");
      await emit(renderTable(worst.report(run.inputs), { color }), undefined);
    } else {
      flush();
      await emit((ndjson ?? json)!.end(run), undefined);
    }
    // Stopped by a signal while the pipe stays open, a read of stdin may still be pending: it
    // would keep the process alive, so leave explicitly once the report is out.
    await settleBeforeExit();
    process.exit(impliedExitStatus(tally.findings, args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK);
  },
};

function handshakeLine(conn: Connection): string {
  const shift = (e: Connection["client"]) =>
    e.offered.state === "present"
      ? `wscale ${e.offered.shift}`
      : e.offered.state === "absent"
        ? "no wscale"
        : "wscale ?";
  const verdict =
    conn.scaling === "on"
      ? `scaling on: windows x${2 ** (conn.client.shift ?? 0)} from the client, x${2 ** (conn.server.shift ?? 0)} from the server`
      : conn.scaling === "off"
        ? "scaling OFF both ways (64 KiB windows)"
        : "scaling unknown";
  return `${connectionId(conn)} ${conn.client.describe()} -> ${conn.server.describe()}: client ${shift(conn.client)}, server ${shift(conn.server)}; ${verdict}`;
}

interface Tcpdump {
  child: ChildProcess;
  /** Resolves with tcpdump's complaint if it exits with an error, else null. */
  failure: Promise<string | null>;
}

/** tcpdump writing pcap to our stdin, arguments passed without a shell. */
async function startTcpdump(iface: string, filter: string | undefined): Promise<Tcpdump> {
  // Loaded here: child_process (with net and dgram) would cost every other command start-up time.
  const { spawn } = await import("node:child_process");
  const args = ["-U", "-w", "-", "-i", iface, ...(filter ? [filter] : ["tcp"])];
  const child = spawn("tcpdump", args, { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const failure = new Promise<string | null>((resolve) => {
    child.on("error", (e: NodeJS.ErrnoException) => {
      resolve(e.code === "ENOENT" ? "tcpdump is not installed (e.g. apt-get install tcpdump)" : e.message);
    });
    child.on("exit", (code) => {
      if (code === 0 || code === null) return resolve(null);
      const lines = stderr.trim().split("\n");
      resolve(
        lines.find((l) => /permission|not permitted|no such device|doesn't exist|syntax error/i.test(l)) ??
          lines.at(-1) ??
          `exit ${code}`,
      );
    });
  });
  return { child, failure };
}

/** A user-facing error: one line, exit 2 (main maps the name). */
class UsageError extends Error {
  override name = "UsageError";
}

/** One status line on stderr, only on a terminal, redrawn in place. */
class StatusLine {
  private shown = false;
  show(text: string): void {
    process.stderr.write(`\r\x1b[K${text}`);
    this.shown = true;
  }
  clear(): void {
    if (this.shown) process.stderr.write("\r\x1b[K");
    this.shown = false;
  }
}
