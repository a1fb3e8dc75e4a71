// Connection and protocol failures on the HTTP transports exit 3 ("server unavailable") as they do
// on grpc-js: not 10 (the parser's INTERNAL), 8 (a reset's ABORTED) or 130 (a reset stream's CANCELLED).
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { EXIT, describeError } from "../../src/cli/exit.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ args: ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"] });
});
afterAll(async () => {
  await server?.stop();
});

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
