// The fs tool checks a path, then opens it: a script that can rename entries of its working
// directory can change what the name means in between. These tests make that change at the
// exact moment of the open (node:fs/promises' open is wrapped), so the race is lost every time:
// what was opened must still be refused when it is a FIFO (at once, never blocking a thread) or
// lies outside, and a file cut short after its size was taken must not come back padded.
import { constants, mkdirSync, mkdtempSync, openSync, closeSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fsTool } from "../../src/tools/fs-tool.ts";

type Real = typeof import("node:fs/promises");
const hooks = vi.hoisted(() => ({
  /** Runs just before the real open of a path ending so. */
  beforeOpen: new Map<string, () => void>(),
  /** Runs just after a size was taken (stat of the path, or fstat of a handle opened on it). */
  afterSize: new Map<string, () => void>(),
}));

vi.mock("node:fs/promises", async (importOriginal) => {
  const real = await importOriginal<Real>();
  const hook = (map: Map<string, () => void>, path: unknown) => {
    for (const [end, fn] of map) if (String(path).endsWith(end)) fn();
  };
  const open = (async (path: string, ...rest: unknown[]) => {
    hook(hooks.beforeOpen, path);
    const handle = await (real.open as (...a: unknown[]) => ReturnType<Real["open"]>)(path, ...rest);
    const fstat = handle.stat.bind(handle);
    handle.stat = (async (...a: unknown[]) => {
      const s = await (fstat as (...a: unknown[]) => Promise<unknown>)(...a);
      hook(hooks.afterSize, path);
      return s;
    }) as typeof handle.stat;
    return handle;
  }) as Real["open"];
  const stat = (async (path: string, ...rest: unknown[]) => {
    const s = await (real.stat as (...a: unknown[]) => Promise<unknown>)(path, ...rest);
    hook(hooks.afterSize, path);
    return s;
  }) as Real["stat"];
  return { ...real, open, stat, default: { ...real, open, stat } };
});

const tmp = mkdtempSync(join(tmpdir(), "se-fs-race-"));
let wd = "";
let n = 0;
const noIo = () => {};
const call = (args: object, maxBytes = 4096) => fsTool(args as never, { workingDirectory: wd, roots: [] }, maxBytes, noIo);
const mkfifo = (path: string) => expect(spawnSync("mkfifo", [path]).status).toBe(0);
/** Lets a reader blocked in a FIFO's open go (ENXIO when none waits). */
const release = (fifo: string) => {
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    /* nobody was waiting */
  }
};
const within = <T>(ms: number, p: Promise<T>) =>
  Promise.race([p.then((v) => ({ settled: "resolved" as const, v }), (e: unknown) => ({ settled: "rejected" as const, e })), new Promise<{ settled: "pending" }>((r) => setTimeout(() => r({ settled: "pending" }), ms))]);

beforeEach(() => {
  wd = join(tmp, `wd${n++}`);
  mkdirSync(wd);
});
afterEach(() => {
  hooks.beforeOpen.clear();
  hooks.afterSize.clear();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("fs tool: what was opened is checked, not the name", () => {
  it("a blocking open of a FIFO waits for a writer (why the tool must not open one so)", async () => {
    const fifo = join(wd, "fifo");
    mkfifo(fifo);
    const { open } = await vi.importActual<Real>("node:fs/promises");
    const pending = open(fifo, "r");
    expect((await within(300, pending)).settled).toBe("pending");
    release(fifo);
    await (await pending).close();
  });

  it("a file swapped for a FIFO just before the open is refused at once, never blocking", async () => {
    writeFileSync(join(wd, "p"), "regular");
    mkfifo(join(wd, "fifo"));
    hooks.beforeOpen.set("/p", () => {
      renameSync(join(wd, "p"), join(wd, "reg"));
      renameSync(join(wd, "fifo"), join(wd, "p"));
    });
    try {
      const r = await within(2000, call({ op: "read", path: "p" }));
      expect(r.settled).toBe("rejected");
      expect(String((r as { e: unknown }).e)).toMatch(/ToolError: fs: p is not a file/);
    } finally {
      release(join(wd, "p"));
    }
  });

  it("a directory swapped for a symlink to outside just before the open is refused, the outside file never read", async () => {
    const out = join(tmp, `outside${n}`);
    mkdirSync(out);
    writeFileSync(join(out, "x"), "SECRET-OUTSIDE");
    mkdirSync(join(wd, "d"));
    writeFileSync(join(wd, "d", "x"), "inside");
    expect(await call({ op: "read", path: "d/x" })).toMatchObject({ content: "inside" });
    hooks.beforeOpen.set("/d/x", () => {
      renameSync(join(wd, "d"), join(wd, "d_real"));
      symlinkSync(out, join(wd, "d"));
    });
    const err = await call({ op: "read", path: "d/x" }).then(
      (v) => v,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ name: "ToolError", kind: "security_violation", message: 'fs: "d/x" is outside the working directory' });
  });

  it("a directory listed is read through what was opened, not its name", async () => {
    const out = join(tmp, `outside${n}`);
    mkdirSync(out);
    writeFileSync(join(out, "secret-name"), "");
    mkdirSync(join(wd, "d"));
    writeFileSync(join(wd, "d", "mine"), "");
    hooks.beforeOpen.set("/d", () => {
      renameSync(join(wd, "d"), join(wd, "d_real"));
      symlinkSync(out, join(wd, "d"));
    });
    // The final component became a symlink: not followed.
    await expect(call({ op: "list", path: "d" })).rejects.toThrow(/^fs: d: /);
    hooks.beforeOpen.clear();
    rmSync(join(wd, "d"));
    renameSync(join(wd, "d_real"), join(wd, "d"));
    mkdirSync(join(wd, "d", "sub"));
    hooks.beforeOpen.set("/d/sub", () => {
      renameSync(join(wd, "d"), join(wd, "d_real"));
      mkdirSync(join(out, "sub"));
      writeFileSync(join(out, "sub", "secret-name"), "");
      symlinkSync(out, join(wd, "d"));
    });
    await expect(call({ op: "list", path: "d/sub" })).rejects.toMatchObject({ kind: "security_violation", message: 'fs: "d/sub" is outside the working directory' });
  });

  it("a file cut short after its size was taken comes back as read, not padded with NULs", async () => {
    const file = join(wd, "shrinks");
    writeFileSync(file, "0123456789".repeat(100));
    // Each look at the size is followed by the file shrinking: whatever size the tool went by,
    // the file is shorter by the time it reads.
    let left = 20;
    hooks.afterSize.set("/shrinks", () => truncateSync(file, (left = Math.floor(left / 2))));
    const r = (await call({ op: "read", path: "shrinks" })) as { content: string; size: number };
    expect(r.content).not.toContain("\u0000");
    expect(r.content).toBe("0123456789".slice(0, left));
  });
});
