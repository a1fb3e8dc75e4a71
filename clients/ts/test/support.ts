import { createServer } from "node:net";
import type { Transport } from "@connectrpc/connect";
import { createScriptEngineClient, UnavailableError, type ScriptEngineClient } from "../src/index.ts";

/** The client's transports by name, each test running over all of them. */
export const TRANSPORTS = ["grpc-js", "connect", "connect-json", "grpc-web", "grpc-http2"] as const;

/** What `fn` throws (undefined when it returns). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A transport that counts what it is asked to send and fails every call. */
export function countingTransport(): { transport: Transport; sent: () => number } {
  let sent = 0;
  const refuse = async (): Promise<never> => {
    sent++;
    throw new Error("sent");
  };
  return { transport: { unary: refuse, stream: refuse } as unknown as Transport, sent: () => sent };
}

/** Every runner starts the server the same way: no drain wait on shutdown, one worker. */
export const SERVER_ARGS = ["--set", "server.shutdown_grace=0s", "--set", "pool.workers=1"];

/** A loopback port free a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// The scenario matcher (test/scenarios/README.md): `expected` is a subset of `actual`.
export function mismatch(expected: unknown, actual: unknown, path = "$"): string | undefined {
  if (expected !== null && typeof expected === "object" && !Array.isArray(expected)) {
    const e = expected as Record<string, unknown>;
    if ("$present" in e) return actual === undefined ? `${path}: expected a value, got none` : undefined;
    if ("$absent" in e) return actual !== undefined ? `${path}: expected no value, got ${JSON.stringify(actual)}` : undefined;
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(e)) {
      const m = mismatch(v, (actual as Record<string, unknown>)[k], `${path}.${k}`);
      if (m) return m;
    }
    return undefined;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const m = mismatch(expected[i], actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return undefined;
  }
  if (typeof expected === "number" && typeof actual === "number") return Math.abs(expected - actual) < 1e-9 ? undefined : `${path}: expected ${expected}, got ${actual}`;
  return expected === actual ? undefined : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/**
 * Makes `call` on a server that just took `address`, from a fresh client: the calls tests make
 * there (RunScript, RegisterService) are not all retried by the SDK, and grpc-js shares subchannels
 * between channels to one address, so this one gets its own (another client's may still be backing
 * off). It retries while the new server's port settles (a refused connect did nothing).
 */
export async function onNewServer(address: string, call: (client: ScriptEngineClient) => Promise<unknown>): Promise<void> {
  const direct = createScriptEngineClient({ address, channelOptions: { "grpc.use_local_subchannel_pool": 1 } });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return void (await call(direct));
      } catch (err) {
        if (!(err instanceof UnavailableError) || attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    direct.close();
  }
}
