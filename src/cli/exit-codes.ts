/** Exit codes (SPEC section 1), documented in the README and in --help. */
export const EXIT_OK = 0;
/** A finding at or above --fail-on. */
export const EXIT_FINDINGS = 1;
/** Usage error, an input that cannot be read (also one of several: the others are still reported), or an output that cannot be written. */
export const EXIT_USAGE = 2;

/** Shown under every command's --help. */
export const HELP_EPILOG = `Exit codes: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage error, an input that cannot be read (with several inputs: each unreadable one named in one line, the others reported), or an output that cannot be written.
Units: windows in bytes, rates in bit/s (JSON: bytes/s). NO_COLOR or --no-color turns colour off.`;

/**
 * Node 20 can deadlock at exit when a background TurboFan job waits for a GC that the exiting
 * main thread never runs (seen with gzip on stdin, about one run in two). A moment with the event
 * loop still alive lets the main thread serve that GC and the job finish first. Await this last.
 */
export function settleBeforeExit(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
