// The built-in fs tool through the real server: special files are refused without blocking,
// a listing is bounded (entries and bytes) and says when it was cut, errors name the script's
// own path and never the host's, and a read returns the bytes it got.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ExecutionResultSchema } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";

let server: TestServer;
const tmp = mkdtempSync(join(tmpdir(), "se-fs-tool-"));

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs `body` (the inside of an async function of `ctx`) at Development in `workingDirectory`. */
async function run(workingDirectory: string, body: string): Promise<unknown> {
  const source = `export default async (a, ctx) => { ${body} }`;
  const { result } = await clientFor(ScriptService, "grpc-js", server).runScript({
    source,
    context: { availableTools: ["fs"], workingDirectory, securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } },
  });
  const r = toJson(ExecutionResultSchema, result!) as { success?: boolean; returnValue?: unknown; error?: unknown };
  expect(r.success, JSON.stringify(r.error)).toBe(true);
  return r.returnValue;
}

function dir(name: string): string {
  const d = join(tmp, name);
  mkdirSync(d);
  return d;
}

describe("fs tool", () => {
  it("refuses a FIFO at once, by read and by list", async () => {
    const wd = dir("fifo");
    expect(spawnSync("mkfifo", [join(wd, "p")]).status).toBe(0);
    const started = performance.now();
    const v = await run(wd, `const out = []; for (const op of ["read", "list"]) { try { await ctx.tools.fs({ op, path: "p" }); } catch (e) { out.push(e.message); } } return out;`);
    expect(v).toEqual(['tool "fs" failed: fs: p is not a file', 'tool "fs" failed: fs: p is not a directory']);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("a final symlink inside that points inside still reads and lists", async () => {
    const wd = dir("links");
    mkdirSync(join(wd, "real"));
    writeFileSync(join(wd, "real", "f.txt"), "linked");
    symlinkSync("real", join(wd, "alias"));
    symlinkSync("real/f.txt", join(wd, "f-link"));
    const v = await run(wd, `return [(await ctx.tools.fs({ path: "f-link" })).content, (await ctx.tools.fs({ path: "alias/f.txt" })).content, (await ctx.tools.fs({ op: "list", path: "alias" })).map((e) => e.name)];`);
    expect(v).toEqual(["linked", "linked", ["f.txt"]]);
  });

  it("a listing stops at 10,000 entries and ends with a truncated marker", async () => {
    const wd = dir("many");
    for (let i = 0; i < 10_005; i++) writeFileSync(join(wd, `f${i}`), "");
    const v = (await run(wd, `const l = await ctx.tools.fs({ op: "list", path: "." }); return { n: l.length, last: l.at(-1), names: new Set(l.map((e) => e.name)).size };`)) as object;
    expect(v).toEqual({ n: 10_001, last: { name: "", type: "truncated" }, names: 10_001 });
    // A listing that was not cut has no marker.
    const few = dir("few");
    writeFileSync(join(few, "one"), "");
    expect(await run(few, `return ctx.tools.fs({ op: "list", path: "." });`)).toEqual([{ name: "one", type: "file" }]);
  }, 60_000);

  it("a listing of long names stops at the byte cap instead of failing the call", async () => {
    const wd = dir("long");
    // 5,000 names of 230 characters: over 1 MiB of JSON, the tool result's cap.
    for (let i = 0; i < 5_000; i++) writeFileSync(join(wd, `${String(i).padStart(5, "0")}${"x".repeat(225)}`), "");
    const v = (await run(wd, `const l = await ctx.tools.fs({ op: "list", path: "." }); return { n: l.length, last: l.at(-1), bytes: JSON.stringify(l).length };`)) as { n: number; last: object; bytes: number };
    expect(v.last).toEqual({ name: "", type: "truncated" });
    expect(v.n).toBeGreaterThan(1_000);
    expect(v.n).toBeLessThan(5_000);
    // Half the default max_tool_payload_bytes (1 MiB), as for a read.
    expect(v.bytes).toBeLessThanOrEqual(512 * 1024);
  }, 60_000);

  it("errors name the script's path and the error, never the host's paths", async () => {
    const real = dir("realwd");
    writeFileSync(join(real, "a.txt"), "hi");
    const link = join(tmp, "linkwd");
    symlinkSync(real, link);
    const v = (await run(link, `const out = []; for (const [op, path] of [["list", "a.txt"], ["read", "a.txt/x"], ["read", "."]]) { try { await ctx.tools.fs({ op, path }); } catch (e) { out.push(e.message); } } return out;`)) as string[];
    expect(v).toEqual(["fs: a.txt is not a directory", "fs: a.txt/x: not a directory (ENOTDIR)", "fs: . is not a file"].map((m) => `tool "fs" failed: ${m}`));
    for (const m of v) expect(m).not.toContain(tmp);
  });

  it("a file under the byte cap whose JSON outgrows the result cap comes back cut, not as a failed call", async () => {
    const wd = dir("nuls");
    // 200,000 NUL bytes: under the 512 KiB read cap, but 1.2 MB as JSON (each is written \u0000).
    writeFileSync(join(wd, "zeros"), Buffer.alloc(200_000));
    writeFileSync(join(wd, "small"), "\u0000ok");
    const v = (await run(wd, `const r = await ctx.tools.fs({ path: "zeros" }); return { path: r.path, size: r.size, n: r.content.length, nul: /^\\0*$/.test(r.content), truncated: r.truncated, bytes: JSON.stringify(r).length };`)) as { n: number; bytes: number };
    expect(v).toMatchObject({ path: "zeros", size: 200_000, nul: true, truncated: true });
    expect(v.n).toBeGreaterThan(150_000);
    expect(v.n).toBeLessThan(200_000);
    expect(v.bytes).toBeLessThanOrEqual(1024 * 1024);
    // What fits is whole.
    expect(await run(wd, `return ctx.tools.fs({ path: "small" });`)).toEqual({ path: "small", size: 3, content: "\u0000ok", truncated: false });
  });

  // sysfs files say 4096 bytes and hold fewer: the size reported, the bytes actually read.
  it.skipIf(!existsSync("/sys/kernel/profiling"))("a read returns the bytes read, not the size the file claims padded with NULs", async () => {
    const v = (await run("/sys/kernel", `return ctx.tools.fs({ path: "profiling" });`)) as { content: string; size: number };
    expect(v.content).not.toContain("\u0000");
    expect(v.content).toMatch(/^\d+\n$/);
    expect(v.size).toBe(4096);
  });
});
