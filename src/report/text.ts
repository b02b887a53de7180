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

/** One column of a plain-text grid: its header lines and how its cells align. */
export interface GridColumn {
  head: readonly string[];
  align?: "left" | "right";
  /** Colour for a cell line (applied after padding, so that widths stay exact). */
  paint?: (line: string, row: number) => string;
}

/**
 * Lay out rows of cells (each cell one or more lines) under their headers, columns separated by
 * `gaps[i]` spaces before column i + 1, trailing spaces trimmed. Widths are the widest line of
 * each column; nothing is wrapped here (the caller chose cells that fit).
 */
export function renderGrid(columns: readonly GridColumn[], rows: readonly (readonly string[])[][], gaps: number[]) {
  const widths = columns.map((col, k) =>
    Math.max(0, ...col.head.map((h) => h.length), ...rows.flatMap((r) => r[k]!.map((l) => l.length))),
  );
  const headHeight = Math.max(...columns.map((c) => c.head.length));
  const line = (cells: (string | undefined)[], paint: ((s: string, k: number) => string) | null) => {
    let out = "";
    cells.forEach((text, k) => {
      const t = text ?? "";
      const w = widths[k]!;
      const pad = " ".repeat(Math.max(0, w - t.length));
      const shown = paint && t !== "" ? paint(t, k) : t;
      out += (k > 0 ? " ".repeat(gaps[k - 1] ?? 2) : "") + (columns[k]!.align === "right" ? pad + shown : shown + pad);
    });
    return out.trimEnd();
  };
  const head: string[] = [];
  for (let i = 0; i < headHeight; i++)
    head.push(
      line(
        columns.map((c) => c.head[i]),
        null,
      ),
    );
  const body: string[][] = rows.map((r, ri) => {
    const height = Math.max(...r.map((cell) => cell.length));
    const out: string[] = [];
    for (let i = 0; i < height; i++)
      out.push(
        line(
          r.map((cell) => cell[i]),
          (s, k) => columns[k]!.paint?.(s, ri) ?? s,
        ),
      );
    return out;
  });
  const width = widths.reduce((a, b) => a + b, 0) + gaps.slice(0, columns.length - 1).reduce((a, b) => a + b, 0);
  /** A rule under the header, one dash run per column. */
  const rule = widths.map((w, k) => (k > 0 ? " ".repeat(gaps[k - 1] ?? 2) : "") + "─".repeat(w)).join("");
  return { head, body, widths, width, rule };
}
