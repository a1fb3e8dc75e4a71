// The server's own events are bounded by events.log_bytes, whatever they carry: a compile error
// quoting a huge source is clipped in its ScriptCompiled event, and every retained event is
// charged what it holds (a registration's 15 KB of metadata is not "512 bytes").
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MAX_EVENT_TEXT } from "../../src/events/clip.ts";
import { heapBytesOf } from "../../src/events/validate.ts";
import { clientFor } from "../helpers/clients.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const LOG_BYTES = 64 * 1024;
const s = serverForTests({ toml: `[events]\nlog_bytes = ${LOG_BYTES}\n` });

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/** Every event a subscriber from 0 gets, up to the latest sequence when it started. */
async function replay(): Promise<ServiceEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 20_000);
  const out: ServiceEvent[] = [];
  try {
    let latest = 0n;
    for await (const m of clientFor(EventService, "grpc-js", s).subscribe({ afterSequence: 0n }, { signal: ac.signal })) {
      if (m.message.case === "started") latest = m.message.value.latestSequence;
      else if (m.message.case === "event") out.push(m.message.value);
      if (m.message.case === "event" && m.message.value.sequence >= latest) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  return out;
}

const held = (events: ServiceEvent[]) => events.reduce((n, e) => n + heapBytesOf(e), 0);

it("compile errors quoting a huge source are clipped in their events; the retained log stays under log_bytes and the heap does not grow with them", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", s);
  const before = rssMb(s.proc.pid!);
  const N = 150;
  const pattern = "a".repeat(900_000);
  for (let i = 0; i < N; i++) {
    // V8's message quotes the whole pattern; the RPC error is clipped by the door, the event was not.
    await expect(scripts.compileScript({ source: `const r = /${pattern}${i}(/;`, context: { scriptId: `huge-${i}` } })).rejects.toThrow();
  }
  const after = rssMb(s.proc.pid!);
  const retained = await replay();
  expect(held(retained)).toBeLessThanOrEqual(LOG_BYTES);
  const compiled = retained.filter((e) => e.event.case === "scriptCompiled");
  expect(compiled.length).toBeGreaterThan(0);
  for (const e of compiled) {
    const error = e.event.case === "scriptCompiled" ? (e.event.value.error ?? "") : "";
    expect(error.length).toBeLessThan(MAX_EVENT_TEXT + 40);
    expect(error).toMatch(/… \[\d+ more characters cut\]$/);
  }
  // 150 errors of 900 KB were 135 MB of event text, and the server grew by ~200 MB keeping them;
  // now what it grows by is garbage not yet collected (~50-70 MB here).
  expect(after - before).toBeLessThan(120);
}, 180_000);

it("every retained event is charged what it holds: big registrations push the oldest events out", async () => {
  const registry = clientFor(RegistryService, "grpc-js", s);
  const metadata = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`k${i}`, String(i).padEnd(1000, "m")]));
  for (let i = 0; i < 40; i++) {
    await registry.registerService({ service: { serviceId: `big-${i}`, serviceType: "bytes", endpoint: "10.0.0.7:7000", metadata }, ttl: durationFromMs(60_000) });
  }
  const all = await replay();
  expect(held(all)).toBeLessThanOrEqual(LOG_BYTES);
  const registered = all.filter((e) => e.event.case === "serviceRegistered");
  expect(registered.length).toBeGreaterThan(0);
  expect(registered.length).toBeLessThan(40); // 15 KB each under a 64 KiB budget
  expect(registered.at(-1)?.event.value).toMatchObject({ serviceId: "big-39" });
  // Metadata values (at most 1024 characters) are kept whole.
  const last = registered.at(-1)!.event;
  expect(last.case === "serviceRegistered" && last.value.metadata.k3?.kind.value).toBe(metadata.k3);
});
