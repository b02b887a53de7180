/** Plain-text layout for the terminal: wrapping prose and tokens to a width. Widths count characters. */

/**
 * Wrap prose at spaces to `width` characters. A word longer than the width gets a line of its own
 * (never cut: it may be a path or a command someone copies). Existing newlines are kept.
 */
export function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(1, width);
  for (const para of text.split("\n")) {
    let line = "";
    for (const word of para.split(" ")) {
      if (word === "") continue;
      if (line === "") line = word;
      else if (line.length + 1 + word.length <= w) line += ` ${word}`;
      else {
        out.push(line);
        line = word;
      }
    }
    out.push(line);
  }
  return out;
}

/** Wrap prose with an indent on every line (a hanging indent when `first` is shorter than `rest`). */
export function wrapIndented(text: string, width: number, first: string, rest = first): string[] {
  const lines = wrapWords(text, width - Math.max(first.length, rest.length));
  return lines.map((l, i) => (i === 0 ? first : rest) + l);
}

/**
 * Break a token without spaces (an address, a finding id) into pieces of at most `width`
 * characters, preferring to break after one of `breakAfter` (":" "." "-" "/"), hard-cutting only
 * when a piece has none.
 */
export function wrapToken(token: string, width: number, breakAfter = ":.-/"): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let rest = token;
  while (rest.length > w) {
    let cut = -1;
    for (let i = w - 1; i > 0; i--) {
      if (breakAfter.includes(rest[i]!)) {
        cut = i + 1;
        break;
      }
    }
    if (cut <= 0) cut = w;
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  out.push(rest);
  return out;
}

/** Wrap each line of a cell: words at spaces, and any word still too long as a token. */
export function wrapCell(lines: readonly string[], width: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    for (const l of wrapWords(line, width)) {
      if (l.length <= width) out.push(l);
      else out.push(...wrapToken(l, width));
    }
  }
  return out;
}
