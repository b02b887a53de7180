import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { analyze } from "../../analysis/analyze.js";
import { SEVERITY_RANK, type Severity } from "../../findings/finding.js";
import { renderJson } from "../../report/json.js";
import { renderTable } from "../../report/table.js";
import { EXIT_FINDINGS, EXIT_OK, HELP_EPILOG } from "../exit-codes.js";
import { restoreStdinArg } from "../stdin-arg.js";
import { colorFor, emit } from "../terminal.js";

export interface AnalyzeArgs {
  files: string[];
  format: "table" | "json";
  output?: string;
  failOn: Severity | "never";
  idleTimeout: number;
  top?: number;
  color: boolean;
}

export const analyzeCommand: CommandModule<object, AnalyzeArgs> = {
  command: "analyze <files..>",
  describe: "Analyse captures: connections, window scaling per direction, findings and fixes",
  builder: (y: Argv) =>
    y
      .positional("files", {
        type: "string",
        array: true,
        demandOption: true,
        describe: "pcap, pcapng (optionally gzipped) or tcpdump text; - for stdin. Several are merged by time.",
      })
      .option("format", { alias: "F", choices: ["table", "json"] as const, default: "table" as const })
      .option("output", { alias: "o", type: "string", describe: "write the report to this file (atomically)" })
      .option("fail-on", {
        choices: ["info", "warn", "error", "never"] as const,
        default: "error" as const,
        describe: "exit 1 when a finding of this severity or worse is found",
      })
      .option("idle-timeout", {
        type: "number",
        default: 300,
        describe: "seconds of capture time before an idle connection is finalised",
      })
      .option("top", { type: "number", describe: "show at most N connections in the table (worst first)" })
      .option("color", {
        type: "boolean",
        default: true,
        describe: "colour on a terminal (--no-color, or NO_COLOR, turns it off)",
      })
      .example("$0 analyze capture.pcap", "table of connections and findings")
      .example(
        "$0 analyze client.pcapng server.pcap.gz --format json -o report.json",
        "merge two captures, JSON report",
      )
      .example("tcpdump -w - -U tcp | $0 analyze -", "read a capture from stdin")
      .epilog(HELP_EPILOG) as unknown as Argv<AnalyzeArgs>,
  handler: async (args: ArgumentsCamelCase<AnalyzeArgs>) => {
    const report = await analyze(args.files.map(restoreStdinArg), { idleTimeout: args.idleTimeout });
    const text =
      args.format === "json"
        ? renderJson(report)
        : renderTable(report, {
            color: colorFor(process.stdout, !args.color || args.output !== undefined),
            top: args.top,
          });
    await emit(text, args.output);
    for (const input of report.inputs) {
      for (const w of input.warnings)
        process.stderr.write(`wscale: warning: ${input.path}: byte ${w.offset}: ${w.message}\n`);
    }
    const threshold = args.failOn === "never" ? Number.POSITIVE_INFINITY : SEVERITY_RANK[args.failOn];
    const failed = report.findings.some((f) => SEVERITY_RANK[f.severity] >= threshold);
    process.exitCode = failed ? EXIT_FINDINGS : EXIT_OK;
  },
};
