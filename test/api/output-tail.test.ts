// A run stopped by a limit ends with an RPC error and no result: the error carries the end of what
// the script printed (an ExecutionOutput detail), on the gRPC door and on Connect alike, each tail
// at most 1 KiB of UTF-8 cut on a character boundary, the error's trailers well under 8 KiB.
import http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { RunScriptRequestSchema, ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ExecutionOutputSchema, type ExecutionOutput } from "../../gen/ts/scriptengine/v1/errors_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { clientFor, type Protocol } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

async function stopped(protocol: Protocol, source: string, timeoutMs = 600) {
  const f = await failure(clientFor(ScriptService, protocol, server).runScript({ source, context: { timeout: durationFromMs(timeoutMs) } }));
  return { ...f, out: f.err.findDetails(ExecutionOutputSchema)[0] as ExecutionOutput | undefined };
}

describe.each(["grpc-js", "connect"] as const)("over %s", (protocol) => {
  it("a script that prints then spins: its TIMEOUT carries what it printed", async () => {
    const f = await stopped(protocol, `console.log("loading"); console.log("step 2 of 3"); console.error("warn: slow"); while (true) {}`);
    expect([f.code, f.reason]).toEqual(["DeadlineExceeded", "TIMEOUT"]);
    expect(f.out).toMatchObject({ stdoutTail: "loading\nstep 2 of 3\n", stderrTail: "warn: slow\n", stdoutBytes: 20n, stderrBytes: 11n, stdoutCut: false, stderrCut: false });
  });

  it("a script out of memory carries its output too", async () => {
    const f = await stopped(protocol, `console.log("before"); const a = []; while (true) a.push(new Array(1e5).fill(1));`, 10_000);
    expect([f.code, f.reason, f.metadata.resource]).toEqual(["ResourceExhausted", "RESOURCE_EXCEEDED", "memory"]);
    expect(f.out?.stdoutTail).toBe("before\n");
  });
});

it("a character at the cut is left out whole: the tail is valid UTF-8, at most 1 KiB", async () => {
  const f = await stopped("grpc-js", `console.log("a" + "😀".repeat(600)); console.error("é".repeat(700)); while (true) {}`);
  // 1 + 2400 + 1 bytes: 255 emoji and the newline fit in 1024, 256 would not.
  expect(f.out?.stdoutTail).toBe(`${"😀".repeat(255)}\n`);
  expect([f.out?.stdoutBytes, f.out?.stdoutCut]).toEqual([2402n, true]);
  expect(f.out?.stderrTail).toBe(`${"é".repeat(511)}\n`);
  expect([f.out?.stderrBytes, f.out?.stderrCut]).toEqual([1401n, true]);
});

it("large output keeps its end, also past the output cap and in a line longer than the cap", async () => {
  // 3 MiB of lines, over the 1 MiB cap: the result would keep the head, the tail keeps the end.
  const lines = await stopped("grpc-js", `for (let i = 0; i < 30000; i++) console.log(i + " " + "x".repeat(100)); console.log("the end"); while (true) {}`, 5000);
  expect(lines.out?.stdoutTail.endsWith(`29999 ${"x".repeat(100)}\nthe end\n`)).toBe(true);
  expect(Buffer.byteLength(lines.out!.stdoutTail)).toBe(1024);
  expect(lines.out?.stdoutCut).toBe(true);
  const single = await stopped("grpc-js", `console.log("y".repeat(3_000_000) + "END"); while (true) {}`, 5000);
  expect(single.out?.stdoutTail).toBe(`${"y".repeat(1020)}END\n`);
  expect(single.out?.stdoutBytes).toBe(3_000_004n);
});

it("the worst case's trailers stay far below grpcio's 8 KiB metadata limit", async () => {
  // Non-ASCII everywhere it can be: both tails full, in 4-byte characters (grpc-message is
  // percent-encoded, grpc-status-details-bin base64).
  const source = `console.log("😀".repeat(5000)); console.error("😀".repeat(5000)); while (true) {}`;
  const session = http2.connect(`http://${server.grpc}`, { settings: { maxHeaderListSize: 8192 } });
  try {
    const body = toBinary(RunScriptRequestSchema, create(RunScriptRequestSchema, { source, context: { timeout: durationFromMs(600) } }));
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
    frame.writeUInt32BE(body.length, 1);
    const stream = session.request({ ":method": "POST", ":path": "/scriptengine.v1.ScriptService/RunScript", "content-type": "application/grpc", te: "trailers" });
    // An error before any message is a trailers-only response: the status comes in the headers.
    const trailers = new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.on("response", (h) => h["grpc-status"] !== undefined && resolve(h));
      stream.on("trailers", resolve);
      stream.on("error", reject);
    });
    stream.end(frame);
    stream.resume();
    const t = await trailers;
    // What grpcio counts against its 8 KiB: each field's name and value, plus 32 (RFC 7541 4.1).
    const size = Object.entries(t).filter(([k]) => !k.startsWith(":")).reduce((n, [k, v]) => n + k.length + String(v).length + 32, 0);
    expect(t["grpc-status"]).toBe("4");
    expect(size).toBeLessThan(6 * 1024);
    const status = fromBinary(StatusSchema, Buffer.from(String(t["grpc-status-details-bin"]), "base64"));
    const out = status.details.find((d) => d.typeUrl.endsWith("ExecutionOutput"));
    const tail = fromBinary(ExecutionOutputSchema, out!.value);
    expect(tail.stdoutTail).toBe("😀".repeat(255) + "\n");
    expect(tail.stderrTail).toBe("😀".repeat(255) + "\n");
  } finally {
    session.close();
  }
});

it("a script that does not breach a limit returns its output in the result, no detail needed", async () => {
  const r = await clientFor(ScriptService, "grpc-js", server).runScript({ source: `console.log("hi"); 1` });
  expect([r.result?.success, r.result?.stdout]).toEqual([true, "hi\n"]);
});
