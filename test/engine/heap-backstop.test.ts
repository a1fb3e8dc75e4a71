// One allocation V8 lets far past an isolate's memory limit (a flattened string, a huge BigInt) was
// only tripped by a later allocation: a script that made one and then waited held 512 MiB at Safe,
// and four of them pushed both workers over their RSS budget, failing every parked neighbour. The
// worker now reads the isolate's heap whenever its thread comes back and ends such a run as the
// memory breach it is.
import { afterAll, beforeAll, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";

let srv: TestServer;
beforeAll(async () => { srv = await startServer({ args: ["--set", "pool.workers=2"] }); }, 30_000);
afterAll(async () => { await srv.stop(); }, 30_000);

async function runScript(source: string, level = "SECURITY_LEVEL_SAFE") {
  const res = await fetch(`http://${srv.http}/scriptengine.v1.ScriptService/RunScript`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ source, context: { securityContext: { securityLevel: level } } }),
  });
  return (await res.json()) as { code?: string; message?: string; details?: { debug?: { reason?: string; metadata?: Record<string, string> } }[]; result?: { success: boolean; returnValue?: unknown; resourceUsage?: { memoryBytes?: string } } };
}

const neighbour = () => runScript('new Promise((r) => setTimeout(() => r("neighbour ok"), 6000))', "SECURITY_LEVEL_PRODUCTION");

function expectMemoryBreach(r: Awaited<ReturnType<typeof runScript>>): void {
  expect(r.code, JSON.stringify(r).slice(0, 300)).toBe("resource_exhausted");
  expect(r.message).toMatch(/memory limit of 50 MiB/);
  expect(r.details?.[0]?.debug?.reason).toBe("RESOURCE_EXCEEDED");
  expect(r.details?.[0]?.debug?.metadata?.resource).toBe("memory");
}

it("four Safe scripts that flatten a 512 MiB string and then wait hit their memory limit; every parked neighbour succeeds", async () => {
  const neighbours = [neighbour(), neighbour(), neighbour(), neighbour()];
  await new Promise((r) => setTimeout(r, 400));
  const attack = 'export default async () => { const s = "a".repeat(2 ** 29 - 24); s.indexOf("b"); await new Promise((r) => setTimeout(r, 3000)); return s.length }';
  const attacks = await Promise.all([attack, attack, attack, attack].map((s) => runScript(s)));
  for (const a of attacks) expectMemoryBreach(a);
  for (const n of await Promise.all(neighbours)) expect(n.result?.returnValue, JSON.stringify(n).slice(0, 300)).toBe("neighbour ok");
  expect(srv.logs()).not.toMatch(/worker replaced/);
}, 60_000);

it("a script that ends holding such an allocation is a memory breach, not a success", async () => {
  expectMemoryBreach(await runScript('var s = "a".repeat(2 ** 29 - 24); s.indexOf("b"); s.length'));
  expectMemoryBreach(await runScript('var s = "ab"; for (let i = 0; i < 26; i++) s += s; s.indexOf("c"); s.length'));
  expectMemoryBreach(await runScript("var b = 1n << (2n ** 30n - 2n); b > 0n"));
  // Made in a timer callback (a delivery) and then waiting on another timer.
  expectMemoryBreach(await runScript('export default () => new Promise((r) => setTimeout(() => { const s = "\\u0100".repeat(2 ** 28); s.indexOf("b"); setTimeout(() => r(s.length), 2000); }, 10))'));
}, 60_000);

it("garbage past the limit is no breach: an array that grew through copies, dropped or kept within the limit", async () => {
  for (const source of ["var a = []; for (let i = 0; i < 4e6; i++) a.push(i); a.length", "Array.from({ length: 6.6e6 }).length"]) {
    const r = await runScript(source);
    expect(r.result?.success, `${source}: ${JSON.stringify(r).slice(0, 300)}`).toBe(true);
  }
}, 30_000);

it("a script that keeps most of its limit live while churning garbage still succeeds", async () => {
  const r = await runScript("const keep = []; for (let i = 0; i < 550; i++) keep.push(new Array(10000).fill(1.5)); let g; for (let i = 0; i < 3e5; i++) g = { i, a: [i, i] }; keep.length");
  expect(r.result?.success, JSON.stringify(r).slice(0, 300)).toBe(true);
  expect(r.result?.returnValue).toBe(550);
}, 30_000);
