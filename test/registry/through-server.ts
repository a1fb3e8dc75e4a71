// Helpers for the registry tests that go through a real server: clients acting as a principal,
// registrations with metadata of a chosen encoded size, and the registration events a server publishes.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Client } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { EventService, type SubscribeResponse } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor, transportFor, type Protocol } from "../helpers/clients.ts";
import { ROOT } from "../helpers/server.ts";

/** A RegistryService client sending `token` as a bearer token on every call. */
export function registryAs(
  server: { grpc: string; http: string },
  token?: string,
  protocol: Protocol = "grpc-js",
): Client<typeof RegistryService> {
  const transport = transportFor(protocol, server);
  if (token === undefined) return createClient(RegistryService, transport);
  return createClient(RegistryService, {
    unary: (method, signal, timeoutMs, header, input, contextValues) => {
      const h = new Headers(header);
      h.set("authorization", `Bearer ${token}`);
      return transport.unary(method, signal, timeoutMs, h, input, contextValues);
    },
    stream: (method, signal, timeoutMs, header, input, contextValues) => {
      const h = new Headers(header);
      h.set("authorization", `Bearer ${token}`);
      return transport.stream(method, signal, timeoutMs, h, input, contextValues);
    },
  });
}

/**
 * `entries` metadata values of `charsPerValue` CJK characters: three UTF-8 bytes each, so a
 * size limit counted in characters instead of bytes lets three times too much through.
 */
export function wideMetadata(entries: number, charsPerValue: number, seed = 0): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < entries; i++) out[`k${i}`] = String.fromCharCode(0x4e00 + ((seed * 31 + i) % 2000)).repeat(charsPerValue);
  return out;
}

/**
 * Starts the server with `args` and reports how it ended: its exit code and stderr, or "listening"
 * (then it is stopped at once) when it accepted the configuration. Never waits past the start.
 */
export async function startOutcome(args: string[]): Promise<{ outcome: number | "listening" | null; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), "se-registry-config-"));
  const proc = spawn(
    process.execPath,
    [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => proc.once("exit", (code) => res(code)));
  const listening = new Promise<"listening">((res) => {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      if (line.includes('"listening"')) res("listening");
    });
  });
  const outcome = await Promise.race([exited, listening]);
  if (outcome === "listening") {
    proc.kill("SIGTERM");
    await exited;
  }
  return { outcome, stderr };
}

/**
 * Every ServiceRegistered/ServiceUnregistered the server holds or publishes, as "id reason"
 * ("id registered" for a registration); `ended` settles when the stream ends (the server's stop).
 */
export function watchRegistrations(server: { grpc: string; http: string }) {
  const ac = new AbortController();
  const seen: string[] = [];
  const ended = (async () => {
    const stream = clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["service_registered", "service_unregistered"], afterSequence: 0n }, { signal: ac.signal });
    for await (const m of stream as AsyncIterable<SubscribeResponse>) {
      if (m.message.case !== "event") continue;
      const e = m.message.value.event;
      if (e.case === "serviceRegistered") seen.push(`${e.value.serviceId} registered`);
      if (e.case === "serviceUnregistered") seen.push(`${e.value.serviceId} ${e.value.reason}`);
    }
  })().catch(() => {});
  return { seen, ended, stop: () => ac.abort() };
}
