// run/exec without --timeout leave the wall limit to the server (default_execution_timeout, up to
// its caps): the deadline they send was the SDK's 120 s default, which the server takes as the
// limit, so a run longer than 2 minutes failed TIMEOUT whatever the server allowed. A fake server
// records the deadline each call carries.
import { createServer as createHttp1Server } from "node:http";
import { createServer as createHttp2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers.ts";

const UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
const deadlines: number[] = [];

/** A grpc-timeout header in ms: at most 8 digits and a unit, as gRPC servers require (else NaN). */
function grpcTimeoutMs(header: unknown): number {
  const t = /^(\d{1,8})([HMSmun])$/.exec(String(header));
  return t ? Number(t[1]) * UNITS[t[2]!]! : NaN;
}
let grpc: string;
let http: string;
let file: string;
const servers: { close(): void }[] = [];

beforeAll(async () => {
  file = join(mkdtempSync(join(tmpdir(), "scriptengine-cli-deadline-")), "id.js");
  writeFileSync(file, "export default (a) => a");
  // gRPC (grpc-js, grpc-http2): grpc-timeout is digits and a unit; answered UNIMPLEMENTED.
  const h2 = createHttp2Server().on("stream", (stream, headers) => {
    deadlines.push(grpcTimeoutMs(headers["grpc-timeout"]));
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "12", "grpc-message": "fake" }, { endStream: true }); // trailers only
  });
  // Connect: connect-timeout-ms; gRPC-Web: grpc-timeout again.
  const h1 = createHttp1Server((req, res) => {
    if (req.headers["grpc-timeout"] !== undefined) {
      deadlines.push(grpcTimeoutMs(req.headers["grpc-timeout"]));
      return void res.writeHead(200, { "content-type": "application/grpc-web+proto", "grpc-status": "12", "grpc-message": "fake" }).end();
    }
    deadlines.push(Number(req.headers["connect-timeout-ms"] ?? NaN));
    res.writeHead(501, { "content-type": "application/json" }).end(JSON.stringify({ code: "unimplemented", message: "fake" }));
  });
  for (const [server, set] of [
    [h2, (a: string) => (grpc = a)],
    [h1, (a: string) => (http = a)],
  ] as const) {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    set(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    servers.push(server);
  }
});
afterAll(() => {
  for (const s of servers) s.close();
});

/** The deadline the one call of `args` carried, in ms. */
async function deadlineOf(args: string[]): Promise<number> {
  deadlines.length = 0;
  const r = await cli(args);
  expect([r.code, r.stderr]).toEqual([7, "scriptengine: UNIMPLEMENTED: fake\n"]);
  expect(deadlines).toHaveLength(1);
  return deadlines[0]!;
}

describe("the deadline of run and exec", () => {
  it.each([
    ["grpc-js", () => ["--address", grpc]],
    ["grpc-http2", () => ["--transport", "grpc-http2", "--address", grpc]],
    ["grpc-web", () => ["--transport", "grpc-web", "--address", http]],
    ["connect", () => ["--transport", "connect", "--address", http]],
  ])("without --timeout it is the longest gRPC can say (8 digits of ms), not 120 s (%s)", async (_t, via) => {
    for (const command of [["run", file], ["exec", "some-script"]]) {
      expect(await deadlineOf([...via(), ...command])).toBeGreaterThan(99_999_999 * 0.99);
    }
  });

  it("with --timeout it is that much, plus 10 s for the server's TIMEOUT answer to arrive first", async () => {
    expect(await deadlineOf(["--address", grpc, "run", file, "--timeout", "5s"])).toBeGreaterThan(14_000);
    expect(await deadlineOf(["--address", grpc, "run", file, "--timeout", "5s"])).toBeLessThanOrEqual(15_000);
  });
});
