#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { isJobWorker, serveJobs, setWorkerEntry } from "../analysis/jobs.js";
import { InputError } from "../capture/issue.js";
import { escapeControl } from "../report/escape.js";
import { analyzeCommand } from "./commands/analyze.js";
import { compareCommand } from "./commands/compare.js";
import { liveCommand } from "./commands/live.js";
import { sysctlCommand } from "./commands/sysctl.js";
import { EXIT_USAGE, HELP_EPILOG, settleBeforeExit } from "./exit-codes.js";
import { JOB_HANDLERS } from "./jobs.js";
import { protectValues } from "./option-values.js";
import { causeOf } from "./output.js";
import { protectStdinArg } from "./stdin-arg.js";

// V8 pretenures an allocation site whose first objects survive a scavenge: the first connection
// summaries wait for the first write, so from then on every summary and finding was allocated in
// the old generation, garbage only a full GC reclaims. Off: many short connections peak ~25 MB
// lower and run no slower (bench/README.md). The flag is read at each GC, so setting it here works.
setFlagsFromString("--no-allocation-site-pretenuring");

/** Errors a user can act on become one line on stderr and exit 2; anything else is a bug and keeps its stack. */
function fail(message: string, hint = ""): never {
  // The message may quote a file name or a value: it is shown, never interpreted by the terminal.
  process.stderr.write(`wscale: ${escapeControl(message)}${hint}\n`);
  process.exit(EXIT_USAGE);
}

/** Input, output and usage errors: what a user can act on (by name: sysctl and live define their own UsageError). */
const USER_ERRORS = new Set(["InputError", "OutputError", "UsageError"]);

function isUserError(e: unknown): boolean {
  return e instanceof InputError || (e instanceof Error && USER_ERRORS.has(e.name));
}

/**
 * Our package.json, found upwards from this file: yargs would look upwards from the working
 * directory once the CLI is bundled (dist/wscale.js has no node_modules in its path).
 */
function packageVersion(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (pkg.name === "wscale") return pkg.version;
    } catch {}
    if (dirname(dir) === dir) return "unknown";
  }
}

/**
 * yargs renders the whole help text each time a command starts, in case the command later asks
 * for it (we never do): ~30 ms of string-width work, a sixth of a small run. Switch that off where
 * yargs 18 keeps it; if a later yargs moves it, this does nothing.
 */
function skipHelpCache(cli: Argv): void {
  const internals = (
    cli as unknown as { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?(): void } } }
  )
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (typeof internals?.cacheHelpMessage === "function") internals.cacheHelpMessage = () => {};
}

async function main(): Promise<void> {
  const cli = yargs(protectStdinArg(protectValues(hideBin(process.argv))))
    .scriptName("wscale")
    .command(analyzeCommand)
    .command(liveCommand)
    .command(compareCommand)
    .command(sysctlCommand)
    .demandCommand(1, "name a command: analyze, live, compare or sysctl")
    .strict()
    .recommendCommands()
    .epilog(HELP_EPILOG)
    .help()
    .alias("h", "help")
    .version(packageVersion())
    .wrap(Math.min(100, process.stdout.columns ?? 80))
    .fail((msg, err: Error | undefined) => {
      // yargs passes a message for what it found while parsing (its own checks, an option's
      // coerce or check), none for an error thrown by a command's handler.
      const hint = msg ? "\nRun 'wscale --help' for usage." : "";
      if (err !== undefined && isUserError(err)) fail(err.message, hint);
      // yargs' own validation errors (YError) are usage errors; anything else is a bug: keep its stack.
      if (err instanceof Error && err.name !== "YError") throw err;
      fail(msg ?? String(err), hint);
    });
  skipHelpCache(cli);
  try {
    await cli.parseAsync();
  } catch (e) {
    if (isUserError(e)) fail((e as Error).message);
    throw e;
  }
}

process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(process.exitCode ?? 0); // `wscale ... | head` is not an error
  fail(`stdout: ${causeOf(e)}`);
});

// A worker thread of `analyze --jobs` runs this same file (the one bundle) and serves jobs.
if (isJobWorker()) serveJobs(JOB_HANDLERS);
else {
  setWorkerEntry(new URL(import.meta.url));
  await main();
  await settleBeforeExit();
}
