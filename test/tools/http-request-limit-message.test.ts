// The http tool's refusal past max_network_requests said "more than 1 requests" and named neither
// the limit's key nor where it came from (the configuration's or the request's resource_limits).
import { expect, it } from "vitest";
import { toolBridge } from "../../src/tools/bridge.ts";
import type { ToolCallInfo } from "../../src/engine/index.ts";

const info = (): ToolCallInfo => ({ executionId: "x", signal: new AbortController().signal, timeoutMs: 5000, byCaller: false, reportIo: () => {} });

/** The refusal of one more request with the budget used up: refused before anything is sent (no server listens). */
async function refusal(max: number): Promise<string> {
  const bridge = toolBridge({ level: "production", http: { allowList: ["127.0.0.1"], maxResponseBytes: 1024, timeoutMs: 5000 }, network: { used: max, max }, maxFileBytes: 1024 });
  return bridge("http", { url: "http://127.0.0.1:9/" }, info()).then(() => "sent", (e: Error) => e.message);
}

it("names the limit, its key, and counts requests in the singular for one", async () => {
  const key = "resource_limits.max_network_requests, the configuration's or the request's";
  expect(await refusal(1)).toBe(`http: more than 1 request in one execution (limit 1: ${key})`);
  expect(await refusal(0)).toBe(`http: more than 0 requests in one execution (limit 0: ${key})`);
  expect(await refusal(3)).toBe(`http: more than 3 requests in one execution (limit 3: ${key})`);
});
