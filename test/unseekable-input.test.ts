/**
 * Inputs that cannot seek (a FIFO, bash's <(...), /dev/stdin fed by a pipe) are read in order like
 * "-": `compare <(ssh a tcpdump -w -) <(ssh b tcpdump -w -)` must work. Each case is checked against
 * the same capture read from its regular file: the report must be the same, but for the path.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BIN, ROOT } from "./helpers/bin.js";

const CAP = (name: string) => join(ROOT, "captures", name);
const tmp = mkdtempSync(join(tmpdir(), "wscale-unseekable-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run a bash command line (for <(...) and pipes) with $W standing for the CLI. */
function bash(line: string) {
  const r = spawnSync("bash", ["-c", line], {
    env: { ...process.env, W: `${process.execPath} ${BIN}` },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON report with every input path replaced (messages name them too), so reports of one capture by two paths compare equal. */
function withoutPaths(json: string): unknown {
  const paths = (JSON.parse(json) as { inputs: { path: string }[] }).inputs.map((i) => i.path);
  let text = json;
  paths.forEach((p, i) => {
    text = text.replaceAll(p, `<input ${i}>`);
  });
  return JSON.parse(text);
}

function fromFile(...files: string[]) {
  const r = bash(`$W analyze ${files.join(" ")} --format json --fail-on never`);
  expect(r.code).toBe(0);
  return withoutPaths(r.stdout);
}

describe("paths that cannot seek are read as streams", () => {
  const healthy = CAP("healthy.client.pcap");

  it("bash process substitution <(cat x.pcap): the same report as the file itself", () => {
    const r = bash(`$W analyze <(cat ${healthy}) --format json --fail-on never`);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).inputs[0].path).toMatch(/^\/dev\/fd\/\d+$/);
    expect(withoutPaths(r.stdout)).toEqual(fromFile(healthy));
  });

  it("/dev/stdin fed by a pipe, and a gzipped capture through <(...)", () => {
    const piped = bash(`cat ${healthy} | $W analyze /dev/stdin --format json --fail-on never`);
    expect([piped.code, piped.stderr]).toEqual([0, ""]);
    expect(withoutPaths(piped.stdout)).toEqual(fromFile(healthy));
    const gz = CAP("healthy.client.pcap.gz");
    const sub = bash(`$W analyze <(cat ${gz}) --format json --fail-on never`);
    expect([sub.code, sub.stderr]).toEqual([0, ""]);
    expect(JSON.parse(sub.stdout).inputs[0].gzip).toBe(true);
    expect(withoutPaths(sub.stdout)).toEqual(fromFile(gz));
  });

  it("a named FIFO written by another process", () => {
    const fifo = join(tmp, "capture.fifo");
    execFileSync("mkfifo", [fifo]);
    const r = bash(`(cat ${healthy} > ${fifo} &); $W analyze ${fifo} --format json --fail-on never`);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout).inputs[0].path).toBe(fifo);
    expect(withoutPaths(r.stdout)).toEqual(fromFile(healthy));
  });

  it("compare <(cat client) <(cat server): both vantage points from process substitutions", () => {
    const [a, b] = [CAP("rewrite-syn-0.client.pcap"), CAP("rewrite-syn-0.server.pcap")];
    const files = bash(`$W compare ${a} ${b} --format json --fail-on never`);
    const subs = bash(`$W compare <(cat ${a}) <(cat ${b}) --format json --fail-on never`);
    expect([subs.code, subs.stderr]).toEqual([0, ""]);
    expect(files.code).toBe(0);
    expect(withoutPaths(subs.stdout)).toEqual(withoutPaths(files.stdout));
    expect(JSON.parse(subs.stdout).findings.map((f: { id: string }) => f.id)).toContain("path-rewrote-wscale");
  });

  it("a FIFO holding no capture: one line naming the path and byte 0, exit 2", () => {
    const r = bash(`$W analyze <(printf 'hello\\001\\002\\003 world')`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^wscale: \/dev\/fd\/\d+: byte 0: not a capture: unknown format \(first bytes 68 65 6c 6c 6f 01 02 03\)\n$/,
    );
    const empty = bash(`$W analyze <(true)`);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^wscale: \/dev\/fd\/\d+: byte 0: empty input\n$/);
  });
});
