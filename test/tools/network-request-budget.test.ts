// max_network_requests counts the http requests sent: a call refused before sending (its arguments,
// its scheme, a host off the allow-list, a port fetch blocks) once used up the budget, and the
// valid call after it was refused as "more than N requests" with none sent.
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { toolBridge } from "../../src/tools/bridge.ts";
import type { ToolCallInfo } from "../../src/engine/index.ts";

const PORT = 47310;
let server: Server;
let served = 0;
beforeAll(async () => {
  server = createServer((_req, res) => { served++; res.end("ok"); });
  await new Promise<void>((resolve) => server.listen(PORT, "127.0.0.1", resolve));
});
afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

const info = (): ToolCallInfo => ({ executionId: "x", signal: new AbortController().signal, timeoutMs: 5000, byCaller: false, reportIo: () => {} });
const outcome = (p: Promise<unknown>) => p.then((r) => `status ${(r as { status: number }).status}`, (e: Error) => e.message);

it("only requests sent count toward max_network_requests", async () => {
  const network = { used: 0, max: 2 };
  const bridge = toolBridge({ level: "production", http: { allowList: ["127.0.0.1"], maxResponseBytes: 1024, timeoutMs: 5000 }, network, maxFileBytes: 1024 });
  const http = (args: unknown) => outcome(bridge("http", args as never, info()));
  const url = `http://127.0.0.1:${PORT}/`;
  expect(await http({ url: 5 })).toBe("http: expected { url, method?, headers?, body? }");
  expect(await http({ url: "ftp://127.0.0.1/" })).toBe("http: only http and https URLs");
  expect(await http({ url: "http://evil.example/" })).toBe("http: host evil.example is not on the allow-list");
  expect(await http({ url, method: "OPTIONS" })).toBe("http: method OPTIONS is not allowed");
  expect(await http({ url: "http://127.0.0.1:6000/" })).toMatch(/bad port/);
  expect(network.used).toBe(0);
  expect(await http({ url })).toBe("status 200");
  expect(await http(url)).toBe("status 200");
  expect(network.used).toBe(2);
  // The third request is over: refused, and not sent.
  expect(await http({ url })).toBe("http: more than 2 requests in one execution (limit 2: resource_limits.max_network_requests, the configuration's or the request's)");
  expect(served).toBe(2);
  expect(network.used).toBe(2);
});
