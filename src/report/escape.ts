/**
 * Text from a file name or a capture, made safe to print on a terminal or into Markdown/HTML:
 * control characters become visible escapes, so a name like $'\e[2J\e[31mnope\nFAKE: all good'
 * can neither clear the screen nor forge a line of output. Applied once, where the text is
 * printed; JSON, CSV and NDJSON keep the exact bytes (their own quoting is enough).
 */

/**
 * C0 and C1 controls, DEL, and the Unicode characters that reorder or break lines on display
 * (bidi embeddings, overrides and isolates; line and paragraph separators).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_TEST = new RegExp(UNSAFE.source);
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above, without the newline
const UNSAFE_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * `s` with every control character shown as an escape: `\n`, `\r`, `\t`, else `\x1b` (`\u202e`
 * above 0xff). Backslashes are left alone, so escaping twice changes nothing. With
 * `keepNewlines`, line breaks stay (multi-line text our own code wrote, like a finding's message).
 */
export function escapeControl(s: string, keepNewlines = false): string {
  if (!UNSAFE_TEST.test(s)) return s;
  return s.replace(keepNewlines ? UNSAFE_BUT_NEWLINE : UNSAFE, escapeOne);
}
