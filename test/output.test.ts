/**
 * `-o` as coreutils would do it, on the real file system: devices, FIFOs and `>(cmd)` are written
 * through, a regular file (or a symlink's target) is replaced whole, an input or a directory is
 * refused, and every failure is one line and exit 2.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openOutput } from "../src/cli/output.js";
import { BIN, ROOT } from "./helpers/bin.js";
import { requireTools } from "./helpers/tools.js";

const CAPTURE = join(ROOT, "captures", "healthy.client.pcap");
const tmp = mkdtempSync(join(tmpdir(), "wscale-output-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const isRoot = process.getuid?.() === 0;

let dirs = 0;
/** A fresh directory for one test, holding a copy of the capture as in.pcap. */
function workdir(): string {
  const dir = join(tmp, `t${++dirs}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "in.pcap"), readFileSync(CAPTURE));
  return dir;
}

function wscale(args: string[], opts: { cwd?: string; stdout?: number } = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", opts.stdout ?? "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? "", stderr: r.stderr };
}

/** The JSON report on stdout: what every -o destination must receive byte for byte. */
const expected = (cwd: string) => wscale(["analyze", "in.pcap", "--format", "json"], { cwd }).stdout;

/** No temporary file left behind (they are named .<target>.<pid>.<time>.wscale-tmp). */
const leftovers = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".wscale-tmp"));

/** An error: exactly one line on stderr, exit 2, nothing on stdout. */
function expectOneLine(r: ReturnType<typeof wscale>, line: string) {
  expect(r.stderr).toBe(`${line}\n`);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
}

describe("-o writes through to what is not a regular file", () => {
  it("/dev/null stays the device (and a device node of our own, the same device, too)", () => {
    const dir = workdir();
    const before = statSync("/dev/null");
    const r = wscale(["analyze", "in.pcap", "-o", "/dev/null"], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    const after = statSync("/dev/null");
    expect(after.isCharacterDevice()).toBe(true);
    expect([after.ino, after.rdev]).toEqual([before.ino, before.rdev]);
    if (isRoot) {
      execFileSync("mknod", [join(dir, "null"), "c", "1", "3"]);
      expect(wscale(["analyze", "in.pcap", "-o", "null"], { cwd: dir }).code).toBe(0);
      expect(lstatSync(join(dir, "null")).isCharacterDevice()).toBe(true);
    }
  });

  it("a FIFO: the reader gets the whole report", async () => {
    const dir = workdir();
    execFileSync("mkfifo", [join(dir, "fifo")]);
    const reader = spawn("cat", [join(dir, "fifo")]);
    let got = "";
    reader.stdout.on("data", (d: Buffer) => {
      got += d.toString();
    });
    const done = new Promise((r) => reader.on("exit", r));
    const r = wscale(["analyze", "in.pcap", "--format", "json", "-o", "fifo"], { cwd: dir });
    await done;
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(got).toBe(expected(dir));
    expect(lstatSync(join(dir, "fifo")).isFIFO()).toBe(true);
  });

  it("process substitution >(cmd): the command reads the report", () => {
    const dir = workdir();
    const script = `"${process.execPath}" "${BIN}" analyze in.pcap --format json -o >(cat > got.json); wait $!`;
    const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(readFileSync(join(dir, "got.json"), "utf8")).toBe(expected(dir));
  });

  it("a reader that goes away early (>(true)) is no error, as with `| head`", () => {
    const dir = workdir();
    const script = `"${process.execPath}" "${BIN}" analyze in.pcap --format json -o >(true)`;
    const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("/dev/stdout is our stdout, as a redirection left it: appended to what is already there", () => {
    const dir = workdir();
    const script = `{ echo header; "${process.execPath}" "${BIN}" analyze in.pcap --format json -o /dev/stdout; } > out.txt`;
    const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(readFileSync(join(dir, "out.txt"), "utf8")).toBe(`header\n${expected(dir)}`);
    expect(wscale(["analyze", "in.pcap", "--format", "json", "-o", "/dev/stdout"], { cwd: dir }).stdout).toBe(
      expected(dir),
    );
  });

  it("a full device (/dev/full): one line, exit 2, also for the streamed formats (written behind the analysis)", () => {
    const dir = workdir();
    for (const format of ["table", "json", "ndjson", "csv"]) {
      expectOneLine(
        wscale(["analyze", "in.pcap", "--format", format, "-o", "/dev/full"], { cwd: dir }),
        "wscale: /dev/full: no space left on device",
      );
    }
  });
});

describe("streamed pieces are written behind the analysis", () => {
  /** Piece i: 1 MiB of the byte i, so that a piece out of place or overwritten shows. */
  const piece = (i: number) => new Uint8Array(1 << 20).fill(i);

  it("40 MiB in 40 pieces: the file holds them in order, each handed back once, in order, only after it is written", async () => {
    const path = join(workdir(), "out.bin");
    const out = await openOutput(path, []);
    const back: number[] = [];
    const pieces = Array.from({ length: 40 }, (_, i) => piece(i));
    for (let i = 0; i < 40; i += 4) {
      await out.write(pieces.slice(i, i + 4), (p) => {
        back.push(p[0]!);
        p.fill(0xff); // the writer reuses it at once: a write still to come would carry 0xff
      });
    }
    await out.close();
    expect(back).toEqual(pieces.map((_, i) => i));
    const bytes = readFileSync(path);
    expect(bytes.length).toBe(40 << 20);
    for (let i = 0; i < 40; i++) expect([bytes[i << 20], bytes[((i + 1) << 20) - 1]]).toEqual([i, i]);
  });

  it("a text written after pieces comes after them", async () => {
    const path = join(workdir(), "out.txt");
    const out = await openOutput(path, []);
    // Three pieces: the second and third wait behind the first when the text comes.
    await out.write(
      [0, 1, 2].map(() => new TextEncoder().encode("a".repeat(1 << 20))),
      () => {},
    );
    await out.write("b\n");
    await out.close();
    const text = readFileSync(path, "utf8");
    expect([text.length, text.indexOf("b")]).toEqual([(3 << 20) + 2, 3 << 20]);
  });

  it("a failed write behind is thrown by a later write or by close, and the output can still be aborted", async () => {
    const out = await openOutput("/dev/full", []);
    const attempt = async () => {
      for (let i = 0; i < 8; i++) await out.write([piece(i)], () => {});
      await out.close();
    };
    await expect(attempt()).rejects.toThrow("no space left on device");
    await out.abort();
  });
});

describe("-o replaces a regular file whole", () => {
  it("a new file: created with the usual mode, nothing else left in the directory", () => {
    const dir = workdir();
    const r = wscale(["analyze", "in.pcap", "--format", "json", "-o", "r.json"], { cwd: dir });
    expect(r).toMatchObject({ code: 0, stdout: "", stderr: "" });
    expect(readFileSync(join(dir, "r.json"), "utf8")).toBe(expected(dir));
    const umask = process.umask();
    expect(statSync(join(dir, "r.json")).mode & 0o777).toBe(0o666 & ~umask);
    expect(readdirSync(dir).sort()).toEqual(["in.pcap", "r.json"]);
  });

  it("an existing file: a new inode renamed over it, with the old mode (and owner, as root)", () => {
    const dir = workdir();
    const target = join(dir, "r.json");
    writeFileSync(target, "old report\n");
    chmodSync(target, 0o640);
    if (isRoot) chownSync(target, 65534, 65534);
    const before = statSync(target);
    expect(wscale(["analyze", "in.pcap", "--format", "json", "-o", "r.json"], { cwd: dir }).code).toBe(0);
    const after = statSync(target);
    expect(after.ino).not.toBe(before.ino);
    expect(after.mode & 0o777).toBe(0o640);
    if (isRoot) expect([after.uid, after.gid]).toEqual([65534, 65534]);
    expect(readFileSync(target, "utf8")).toBe(expected(dir));
    expect(leftovers(dir)).toEqual([]);
  });

  it("a symlink: the link stays, its target (through a chain of links) is replaced", () => {
    const dir = workdir();
    mkdirSync(join(dir, "reports"));
    writeFileSync(join(dir, "reports", "real.json"), "old\n");
    chmodSync(join(dir, "reports", "real.json"), 0o600);
    symlinkSync("reports/real.json", join(dir, "hop"));
    symlinkSync("hop", join(dir, "link.json"));
    expect(wscale(["analyze", "in.pcap", "--format", "json", "-o", "link.json"], { cwd: dir }).code).toBe(0);
    expect(readlinkSync(join(dir, "link.json"))).toBe("hop");
    expect(readlinkSync(join(dir, "hop"))).toBe("reports/real.json");
    expect(readFileSync(join(dir, "reports", "real.json"), "utf8")).toBe(expected(dir));
    expect(statSync(join(dir, "reports", "real.json")).mode & 0o777).toBe(0o600);
    expect([...leftovers(dir), ...leftovers(join(dir, "reports"))]).toEqual([]);
  });

  it("a dangling symlink: the file it names is created, the link kept", () => {
    const dir = workdir();
    symlinkSync("made.json", join(dir, "dangling"));
    expect(wscale(["analyze", "in.pcap", "--format", "json", "-o", "dangling"], { cwd: dir }).code).toBe(0);
    expect(lstatSync(join(dir, "dangling")).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, "made.json"), "utf8")).toBe(expected(dir));
  });

  it("an input that cannot be read: exit 2, the old file untouched, no temporary file left", () => {
    const dir = workdir();
    writeFileSync(join(dir, "r.json"), "old\n");
    const r = wscale(["analyze", "missing.pcap", "-o", "r.json"], { cwd: dir });
    expectOneLine(r, "wscale: missing.pcap: no such file");
    expect(readFileSync(join(dir, "r.json"), "utf8")).toBe("old\n");
    expect(leftovers(dir)).toEqual([]);
  });

  it("Ctrl-C while reading: the temporary file is removed and the old file kept", async () => {
    const dir = workdir();
    writeFileSync(join(dir, "r.json"), "old\n");
    const child = spawn(process.execPath, [BIN, "analyze", "-", "-o", "r.json"], { cwd: dir });
    // A capture that never ends: the header and one record, then the pipe stays open.
    const pcap = readFileSync(CAPTURE);
    child.stdin.write(pcap.subarray(0, 24 + 16 + pcap.readUInt32LE(24 + 8)));
    const deadline = Date.now() + 30_000;
    while (leftovers(dir).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(leftovers(dir)).toHaveLength(1);
    const exited = new Promise<NodeJS.Signals | null>((r) => child.on("exit", (_code, signal) => r(signal)));
    child.kill("SIGINT");
    expect(await exited).toBe("SIGINT");
    expect(leftovers(dir)).toEqual([]);
    expect(readFileSync(join(dir, "r.json"), "utf8")).toBe("old\n");
  });
});

describe("-o refuses, with one line and exit 2", () => {
  it("one of the inputs: by name, through a symlink, a hard link, and stdout redirected onto it", () => {
    const dir = workdir();
    const original = readFileSync(join(dir, "in.pcap"));
    symlinkSync("in.pcap", join(dir, "link.pcap"));
    linkSync(join(dir, "in.pcap"), join(dir, "hard.pcap"));
    const refusal = "the report would overwrite it (choose another output)";
    expectOneLine(
      wscale(["analyze", "in.pcap", "-o", "in.pcap"], { cwd: dir }),
      `wscale: in.pcap: is the input: ${refusal}`,
    );
    expectOneLine(
      wscale(["analyze", "in.pcap", "-o", "link.pcap"], { cwd: dir }),
      `wscale: link.pcap: is the input in.pcap: ${refusal}`,
    );
    expectOneLine(
      wscale(["analyze", "link.pcap", "--format", "csv", "-o", "hard.pcap"], { cwd: dir }),
      `wscale: hard.pcap: is the input link.pcap: ${refusal}`,
    );
    expectOneLine(
      wscale(["compare", join(ROOT, "captures", "healthy.server.pcap"), "in.pcap", "-o", "hard.pcap"], { cwd: dir }),
      `wscale: hard.pcap: is the input in.pcap: ${refusal}`,
    );
    const fd = openSync(join(dir, "in.pcap"), "a");
    const r = wscale(["analyze", "in.pcap"], { cwd: dir, stdout: fd });
    expect(r.stderr).toBe(`wscale: stdout: is the input in.pcap: ${refusal}\n`);
    expect(r.code).toBe(2);
    expect(readFileSync(join(dir, "in.pcap"))).toEqual(original);
  });

  it("a directory, a missing directory, /proc/version, an empty name", () => {
    const dir = workdir();
    mkdirSync(join(dir, "sub"));
    expectOneLine(wscale(["analyze", "in.pcap", "-o", "sub"], { cwd: dir }), "wscale: sub: is a directory");
    expectOneLine(
      wscale(["analyze", "in.pcap", "-o", "nodir/r.json"], { cwd: dir }),
      "wscale: nodir/r.json: no such directory nodir",
    );
    // A name ending with a slash is a directory for one report per input (--each): made if missing.
    expect(wscale(["analyze", "in.pcap", "-o", "nodir/"], { cwd: dir }).code).not.toBe(2);
    expect(readdirSync(join(dir, "nodir"))).toEqual(["in.pcap.txt"]);
    expectOneLine(
      wscale(["analyze", "in.pcap", "-o", "/proc/version"], { cwd: dir }),
      "wscale: /proc/version: cannot create a file in /proc: no such file or directory",
    );
    expectOneLine(wscale(["analyze", "in.pcap", "-o", ""], { cwd: dir }), "wscale: '': empty file name");
    expect(readdirSync(dir).sort()).toEqual(["in.pcap", "nodir", "sub"]);
  });

  requireTools(["root"]).it("a block device (a node made in the test directory; needs root for mknod)", () => {
    const dir = workdir();
    execFileSync("mknod", [join(dir, "blk"), "b", "7", "250"]);
    expectOneLine(
      wscale(["analyze", "in.pcap", "-o", "blk"], { cwd: dir }),
      "wscale: blk: is a block device (a report is never written onto a disk)",
    );
  });

  // root is never denied by permissions: run as nobody through setpriv when root.
  const asUser = isRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  requireTools(isRoot ? ["setpriv"] : []).it(
    "a directory the user cannot write to (as root: as nobody, by setpriv)",
    () => {
      const dir = workdir();
      chmodSync(dir, 0o755);
      chmodSync(join(dir, "in.pcap"), 0o644);
      mkdirSync(join(dir, "ro"), 0o555);
      chmodSync(join(dir, "ro"), 0o555);
      chmodSync(tmp, 0o755); // nobody must reach the test directory
      const [cmd, ...pre] = [...asUser, process.execPath];
      const r = spawnSync(cmd!, [...pre, BIN, "analyze", "in.pcap", "-o", "ro/r.txt"], { cwd: dir, encoding: "utf8" });
      expect(r.stderr).toBe("wscale: ro/r.txt: cannot create a file in ro: permission denied\n");
      expect(r.status).toBe(2);
      expect(readdirSync(join(dir, "ro"))).toEqual([]);
    },
  );
});

describe("control characters in an output name are shown, not sent to the terminal", () => {
  it("an error naming the file escapes it", () => {
    const dir = workdir();
    const name = "\u001b[2J\u001b[31mnope\nFAKE: all good";
    writeFileSync(join(dir, name), readFileSync(CAPTURE));
    const r = wscale(["analyze", name, "-o", name], { cwd: dir });
    expectOneLine(
      r,
      "wscale: \\x1b[2J\\x1b[31mnope\\nFAKE: all good: is the input: the report would overwrite it (choose another output)",
    );
    expect(existsSync(join(dir, name))).toBe(true);
  });
});
