/**
 * The finding catalogue is the one place reports read a finding's group, usual severity and
 * summary from: every rule must be registered there, under the name of its file (one rule per
 * file), and nothing else but the path findings of `compare`.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOGUE, catalogueEntry } from "../src/findings/catalogue.js";
import { ROOT } from "./helpers/bin.js";

const RULES = readdirSync(join(ROOT, "src/findings/rules"))
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.replace(/\.ts$/, ""));

describe("the finding catalogue", () => {
  it("registers every rule under its file's name, and otherwise only compare's path findings", () => {
    expect(RULES.length).toBeGreaterThanOrEqual(16);
    for (const id of RULES) expect(catalogueEntry(id)?.id, id).toBe(id);
    const others = [...CATALOGUE.keys()].filter((id) => !RULES.includes(id));
    expect(others.length).toBeGreaterThan(0);
    expect(others.filter((id) => !id.startsWith("path-"))).toEqual([]);
    expect(catalogueEntry("no-such-finding")).toBeUndefined();
  });

  it("each summary is one short line, and each group one of the five", () => {
    for (const e of CATALOGUE.values()) {
      expect(e.summary, e.id).toMatch(/^[A-Za-z][^\n]{10,100}$/);
      expect(["negotiation", "path", "transfer", "protocol", "capture"], e.id).toContain(e.group);
    }
  });

  it("the usual severities the SPEC sets: the seed case and a window-enforcing box are errors, a zero window is not a scaling problem", () => {
    expect(
      ["scale-rewritten", "window-enforcing-middlebox", "zero-window", "window-limited", "scale-unknown"].map((id) => [
        id,
        catalogueEntry(id)!.severity,
      ]),
    ).toEqual([
      ["scale-rewritten", "error"],
      ["window-enforcing-middlebox", "error"],
      ["zero-window", "info"],
      ["window-limited", "info"],
      ["scale-unknown", "info"],
    ]);
  });
});
