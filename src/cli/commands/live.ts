import type { ChildProcess } from "node:child_process";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { analyzeStream } from "../../analysis/analyze.js";
import { WorstConnections } from "../../analysis/worst-connections.js";
import type { Connection } from "../../connections/connection.js";
import { type ConnectionSummary, connectionId, summarize } from "../../connections/summary.js";
import { evaluateFindings } from "../../findings/evaluate.js";
import type { Finding, Severity } from "../../findings/finding.js";
import { JsonReportWriter } from "../../report/json.js";
import { DEFAULT_TOP, hostPort, impliedExitStatus } from "../../report/model.js";
import { NdjsonWriter } from "../../report/ndjson.js";
import { renderFinding, renderTable } from "../../report/table.js";
import { wrapIndented } from "../../report/text.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG, settleBeforeExit } from "../exit-codes.js";
import { allFixesOption, captureInterface, colorOption, idleTimeoutOption, single, text } from "../option-values.js";
import { openOutput } from "../output.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor } from "../terminal.js";
import { terminalWidth } from "./analyze.js";

export interface LiveArgs {
  input?: string;
  interface?: string;
  filter?: string;
  format: "table" | "json" | "ndjson";
  failOn: Severity | "never";
  idleTimeout: number;
  color: boolean;
  allFixes: boolean;
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
        coerce: single("interface", captureInterface),
        describe: `capture on this interface: runs tcpdump ${tcpdumpArgs("IFACE", undefined).join(" ")}`,
      })
      .option("filter", {
        alias: "f",
        type: "string",
        coerce: single("filter", text),
        describe: "a tcpdump filter, with -i (default: tcp)",
      })
      .option("format", {
        alias: "F",
        choices: ["table", "json", "ndjson"] as const,
        default: "table" as const,
        coerce: single("format", text<LiveArgs["format"]>),
        describe:
          "table: a line per handshake and each finding as it is established, the report at the end; json: the report at the end; ndjson: one JSON event per line",
      })
      .option("fail-on", {
        choices: ["info", "warn", "error", "never"] as const,
        default: "error" as const,
        coerce: single("fail-on", text<Severity | "never">),
        describe: "exit 1 when a finding of this severity or worse is found",
      })
      .option("idle-timeout", idleTimeoutOption)
      .option("color", colorOption)
      .option("all-fixes", allFixesOption)
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
    const width = terminalWidth(process.stdout, false);
    const out = (line: string) => process.stdout.write(`${line}\n`);
    // ndjson and json are streamed as events happen (the same writers as analyze); the table
    // keeps only the worst connections for the final report, with exact counts of the rest.
    const ndjson = args.format === "ndjson" ? new NdjsonWriter(args.failOn) : null;
    const json = args.format === "json" ? new JsonReportWriter(args.failOn) : null;
    const worst = args.format === "table" ? new WorstConnections(DEFAULT_TOP) : null;
    const tally = (ndjson ?? json ?? worst!).tally;
    const status = process.stderr.isTTY ? new StatusLine() : null;
    // stdout is checked like any output: never one of the inputs (`live - < x.pcap >> x.pcap`).
    const output = await openOutput(undefined, args.input === undefined ? [] : [restoreStdinArg(args.input)]);
    // Records go out in order, each batch once the one before is written: the analysis waits for
    // a slow reader between reads (drain), the timer's batches queue behind it.
    let writing = Promise.resolve();
    const flush = () => {
      const writer = ndjson ?? json;
      if (!writer) return writing;
      const pieces = writer.take();
      if (pieces.length > 0) writing = writing.then(() => output.write(pieces, (p) => writer.release(p)));
      return writing;
    };

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

    // Finding ids announced per open connection: each finding is printed once, when established;
    // the final report names it by id (kept only with the findings the report keeps).
    const announced = new WeakSet<Finding>();
    const printed = new Map<string, Set<string>>();
    const wasPrinted = (f: Finding) => announced.has(f) || (printed.get(f.connection)?.has(f.id) ?? false);
    let findings = 0;
    const announce = (f: Finding, connection: ConnectionSummary) => {
      const seen = printed.get(f.connection) ?? new Set<string>();
      if (seen.has(f.id)) return;
      seen.add(f.id);
      printed.set(f.connection, seen);
      findings++;
      status?.clear();
      if (ndjson) ndjson.finding(f);
      else if (args.format === "table")
        out(renderFinding(f, color, { width, connection, allFixes: args.allFixes }).join("\n"));
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
        const summary = summarize(conn);
        for (const f of evaluateFindings(conn, summary)) if (f.severity !== "info") announce(f, summary);
      }
      flush().catch(() => {}); // a failed write is raised by the next drain
      status?.show(`wscale: ${packetsRead} packets, ${open} open connections, ${findings} findings`);
    };
    const timer = setInterval(evaluateOpen, EVALUATE_EVERY_MS);
    const run = await analyzeStream([restoreStdinArg(args.input ?? "-")], {
      idleTimeout: args.idleTimeout,
      stdin,
      stop,
      onHandshake(conn: Connection) {
        status?.clear();
        const summary = summarize(conn);
        if (ndjson) ndjson.handshake(summary);
        else if (args.format === "table") out(wrapIndented(handshakeLine(conn, summary), width, "", "    ").join("\n"));
      },
      onConnection(summary, found) {
        if (json) json.add(summary, found);
        else {
          for (const f of found) {
            announce(f, summary);
            announced.add(f);
          }
          if (ndjson) {
            ndjson.connection(summary);
            ndjson.tally.add(summary, found);
          } else worst!.add(summary, found);
        }
        printed.delete(summary.id);
        lookedAt.delete(summary.id);
      },
      drain: flush,
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
    if (tcpdump) {
      // tcpdump prints its statistics as it exits: packets the kernel dropped are missing from the analysis.
      tcpdump.child.kill("SIGINT");
      const dropped = await tcpdump.dropped();
      if (dropped !== null && dropped > 0) {
        const message = `tcpdump: ${dropped} packets dropped by kernel: the capture misses them, so gaps in it are not loss on the network`;
        run.inputs[0]?.warnings.push({ offset: -1, message });
        if (args.format !== "table") process.stderr.write(`wscale: warning: ${message}\n`);
      }
    }

    if (worst) {
      // The input named as the user knows it: not "-", but stdin or the tcpdump that was run.
      const label = args.interface !== undefined ? `tcpdump -i ${args.interface}` : "stdin";
      const report = worst.report({ ...run, inputs: run.inputs.map((i) => ({ ...i, path: label })) });
      out("");
      await output.write(renderTable(report, { color, width, allFixes: args.allFixes, printedAbove: wasPrinted }));
    } else {
      await flush();
      const writer = (ndjson ?? json)!;
      await output.write(writer.end(run), (p) => writer.release(p));
    }
    await output.close();
    // Stopped by a signal while the pipe stays open, a read of stdin may still be pending: it
    // would keep the process alive, so leave explicitly once the report is out.
    await settleBeforeExit();
    process.exit(impliedExitStatus(tally.findings, args.failOn) === 1 ? EXIT_FINDINGS : EXIT_OK);
  },
};

function handshakeLine(conn: Connection, summary: ConnectionSummary): string {
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
  return `${connectionId(conn)} ${hostPort(summary.client)} -> ${hostPort(summary.server)}: client ${shift(conn.client)}, server ${shift(conn.server)}; ${verdict}`;
}

interface Tcpdump {
  child: ChildProcess;
  /** Resolves with tcpdump's complaint if it exits with an error, else null. */
  failure: Promise<string | null>;
  /** Once tcpdump has exited (waiting at most a few seconds from the call): its "dropped by kernel" count. */
  dropped(): Promise<number | null>;
}

/**
 * What live -i runs: headers and options are all wscale reads, so 128 bytes per packet (-s 128)
 * in an 8 MiB kernel buffer (-B 8192) keep up with a busy link where tcpdump's defaults drop half
 * the packets; -U hands each packet on at once.
 */
export function tcpdumpArgs(iface: string, filter: string | undefined): string[] {
  return ["-s", "128", "-B", "8192", "-U", "-w", "-", "-i", iface, ...(filter ? [filter] : ["tcp"])];
}

/** The count in tcpdump's closing statistics ("311 packets dropped by kernel"), or null without one. */
export function droppedByKernel(stderr: string): number | null {
  const m = /^(\d+) packets? dropped by kernel$/m.exec(stderr);
  return m ? Number(m[1]) : null;
}

/** tcpdump writing pcap to our stdin, arguments passed without a shell. */
async function startTcpdump(iface: string, filter: string | undefined): Promise<Tcpdump> {
  // Loaded here: child_process (with net and dgram) would cost every other command start-up time.
  const { spawn } = await import("node:child_process");
  const child = spawn("tcpdump", tcpdumpArgs(iface, filter), { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => {
    child.on("close", () => resolve());
    child.on("error", () => resolve());
  });
  const dropped = () =>
    Promise.race([exited, new Promise<void>((r) => setTimeout(r, 3000).unref())]).then(() => droppedByKernel(stderr));
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
  return { child, failure, dropped };
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
