/**
 * yargs drops a lone "-" from positionals, so main() swaps it for this token before parsing and
 * commands swap it back: "-" means stdin, as in every Unix tool.
 */
export const STDIN_TOKEN = "\u0000stdin";

export function protectStdinArg(argv: string[]): string[] {
  return argv.map((a) => (a === "-" ? STDIN_TOKEN : a));
}

export function restoreStdinArg(path: string): string {
  return path === STDIN_TOKEN ? "-" : path;
}
