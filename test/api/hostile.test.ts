// Hostile scripts through the real server: each gets its expected outcome (an RPC error with the
// matching code, or success=false with the matching kind), the server stays up, and the next
// ordinary execution is still correct. The engine's own tests hold the full corpus.
import { describe, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ConnectError, Code } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ExecutionErrorKind } from "../../gen/ts/scriptengine/v1/script_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";

const server = serverForTests({ args: ["--set", "execution.max_output_bytes=4096", "--set", "pool.workers=2"] });

const mod = (body: string) => `export default async function main(args, ctx) {\n${body}\n}`;
type Outcome = `rpc:${string}` | `kind:${keyof typeof ExecutionErrorKind}` | "success";

const corpus: [string, string, Outcome[]][] = [
  ["sync infinite loop", "while (true) {}", ["rpc:DeadlineExceeded/TIMEOUT"]],
  ["async infinite loop", mod("for (;;) { await null; }"), ["rpc:DeadlineExceeded/TIMEOUT"]],
  ["never-settling promise", mod("await new Promise(() => {});"), ["rpc:DeadlineExceeded/TIMEOUT"]],
  ["memory bomb: arrays", "const keep = []; for (;;) keep.push(new Array(1e6).fill(1.5));", ["rpc:ResourceExhausted/RESOURCE_EXCEEDED"]],
  ["memory bomb: typed arrays", "const keep = []; for (;;) keep.push(new Uint8Array(16 * 1024 * 1024));", ["rpc:ResourceExhausted/RESOURCE_EXCEEDED"]],
  ["memory bomb: one giant ArrayBuffer", "new ArrayBuffer(2 ** 31).byteLength", ["rpc:ResourceExhausted/RESOURCE_EXCEEDED"]],
  ["WebAssembly.Memory", "new WebAssembly.Memory({ initial: 10000 }).buffer.byteLength", ["kind:SCRIPT_THREW"]],
  ["stack overflow", "function f() { return f() + 1; } f()", ["kind:SCRIPT_THREW"]],
  ["Function constructor escape", "this.constructor.constructor('return process')().exit(1)", ["kind:SCRIPT_THREW"]],
  ["static import of a host module", "import fs from 'node:fs';\nexport default function main() { return 1; }", ["rpc:InvalidArgument/COMPILATION_ERROR", "rpc:PermissionDenied/SECURITY_VIOLATION"]],
  ["dynamic import", mod("return await import('node:fs');"), ["kind:SCRIPT_THREW"]],
  ["spinning getter in the return value", "({ get x() { for (;;) {} } })", ["rpc:DeadlineExceeded/TIMEOUT"]],
  ["Proxy in the return value", 'new Proxy({}, { ownKeys() { throw new Error("trap"); } })', ["kind:INVALID_RETURN_VALUE"]],
  ["exponentially shared sub-objects", "let o = { v: 1 }; for (let i = 0; i < 40; i++) o = { a: o, b: o }; o", ["kind:INVALID_RETURN_VALUE", "rpc:ResourceExhausted/RESOURCE_EXCEEDED", "rpc:DeadlineExceeded/TIMEOUT"]],
  // A builtin walking 10^9 holes would be deaf to termination for ~40 s: refused before it starts.
  ["a builtin over a huge sparse array", "new Array(1e9).copyWithin(0, 1).length", ["kind:SCRIPT_THREW"]],
  ["ReDoS", "/^(a+)+$/.test('a'.repeat(40) + 'b')", ["rpc:DeadlineExceeded/TIMEOUT"]],
  ["timer churn (set and clear forever)", "for (;;) clearTimeout(setTimeout(() => {}, 1e9));", ["rpc:DeadlineExceeded/TIMEOUT"]],
  ["a timer scheduled after return", mod("setTimeout(() => { for (;;) {} }, 20); return 1;"), ["success"]],
  ["microtasks spinning after return", mod("Promise.resolve().then(async () => { await new Promise((r) => setTimeout(r, 5)); for (;;) {} }); return 1;"), ["success"]],
  // A microtask that spins in the same turn as the return: the run's time limit ends it.
  ["a microtask spinning in the returning turn", mod("Promise.resolve().then(() => { for (;;) {} }); return 1;"), ["success", "rpc:DeadlineExceeded/TIMEOUT"]],
  ["FinalizationRegistry", mod("const r = new FinalizationRegistry(() => { for (;;) {} }); for (let i = 0; i < 1000; i++) r.register({}, i); return 1;"), ["success"]],
  ["huge output", "for (let i = 0; i < 2000; i++) console.log('x'.repeat(10000)); 'done'", ["success"]],
];

describe("hostile scripts through the server", () => {
  it.each(corpus)("%s", async (_name, source, expected) => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    let outcome: Outcome;
    try {
      const { result } = await scripts.runScript({ source, context: { timeout: durationFromMs(1500) } });
      outcome = result!.success ? "success" : `kind:${ExecutionErrorKind[result!.error!.kind] as keyof typeof ExecutionErrorKind}`;
      if (result!.success) expect(Buffer.byteLength(result!.stdout)).toBeLessThanOrEqual(4096 + 64);
      if (!result!.success) expect(result!.error!.stack).not.toMatch(/\/work\/|node:internal|node_modules/);
    } catch (err) {
      expect(err).toBeInstanceOf(ConnectError);
      const e = err as ConnectError;
      outcome = `rpc:${Code[e.code]}/${e.findDetails(ErrorInfoSchema)[0]?.reason}`;
      expect(e.rawMessage).not.toMatch(/\/work\/|node:internal|node_modules/);
    }
    expect(expected).toContain(outcome);
    // The server is alive and the next ordinary execution is still correct.
    const next = await scripts.runScript({ source: "[1, 2, 3].reduce((a, b) => a + b, 0)" });
    expect(next.result?.returnValue?.kind.value).toBe(6);
    expect((await clientFor(Health, "connect", server).check({ service: "" })).status).toBe(1);
  });

  it("no hostile script left state behind: a fresh context sees pristine globals", async () => {
    const scripts = clientFor(ScriptService, "grpc-js", server);
    await scripts.runScript({ source: "Object.prototype.polluted = 'yes'; globalThis.leak = 1; 1" });
    for (let i = 0; i < 4; i++) {
      const { result } = await scripts.runScript({ source: "[typeof ({}).polluted, typeof globalThis.leak]" });
      expect(result?.returnValue?.kind.case).toBe("listValue");
      const values = (result!.returnValue!.kind.value as { values: { kind: { value: unknown } }[] }).values.map((v) => v.kind.value);
      expect(values).toEqual(["undefined", "undefined"]);
    }
  });
});
