// Connection and protocol failures on the HTTP transports exit 3 ("server unavailable") as they do
// on grpc-js: not 10 (the parser's INTERNAL), 8 (a reset's ABORTED) or 130 (a reset stream's CANCELLED).
import { Code, ConnectError } from "@connectrpc/connect";
import { expect, it } from "vitest";
import { EXIT, cutBeforeAnswer, describeError } from "../../src/cli/exit.ts";
import { speaksHttp2First } from "../../src/cli/port-probe.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli } from "./helpers.ts";

const server = serverForTests({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] }, { checkExit: false });

it.each(["connect", "grpc-web"])("--transport %s pointed at the gRPC port exits 3 with one line that says so", async (transport) => {
  const r = await cli(["-a", server.grpc, "--transport", transport, "health"]);
  expect(r.code).toBe(EXIT.UNAVAILABLE);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain(`UNAVAILABLE: cannot reach ${server.grpc}`);
  expect(r.stderr).toContain("the HTTP transports take the HTTP port");
});

it("a CANCELLED with no server reason that the user did not cause (a reset stream) exits 3, not 130", () => {
  const d = describeError(new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled), "h:1");
  expect(d).toEqual({ exitCode: EXIT.UNAVAILABLE, line: "CANCELLED: cannot reach h:1: http/2 stream closed with error code CANCEL (0x8)" });
});

// Under load the gRPC port may close the socket before the HTTP/1.1 request is written (EPIPE): the
// parser never sees its HTTP/2 answer, so the CLI asks the port whether it speaks HTTP/2 first.
it("an HTTP transport cut off by the gRPC port (EPIPE) still gets the hint, found by asking the port", async () => {
  const epipe = new ConnectError("write EPIPE", Code.Unavailable, undefined, undefined, Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
  expect(cutBeforeAnswer(epipe)).toBe(true);
  expect(cutBeforeAnswer(new ConnectError("no", Code.Unavailable))).toBe(false);
  expect(await speaksHttp2First(server.grpc)).toBe(true);
  expect(await speaksHttp2First(server.http, 300)).toBe(false); // the HTTP door waits for the request
  expect(describeError(epipe, server.grpc, { http2OnlyPort: true }).line).toContain("the HTTP transports take the HTTP port");
  expect(describeError(epipe, server.http).line).not.toContain("HTTP transports");
});
