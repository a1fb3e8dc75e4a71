// Events benchmark: events per second delivered to 1 and to 100 subscribers, (a) by the
// in-process bus alone and (b) through the real server (Emit over gRPC, Subscribe streams over
// gRPC), and the engine's execution throughput with 100 subscribers attached compared to none
// (when this build serves script execution). Loopback only; bounded in time.
// `node bench/events.ts` writes bench/results/events.json; `make bench` runs it via run().
import { create } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { ServiceEventSchema } from "../gen/ts/scriptengine/v1/events_pb.js";
import { EventService } from "../gen/ts/scriptengine/v1/event_service_pb.js";
import { ScriptService } from "../gen/ts/scriptengine/v1/script_service_pb.js";
import { createGrpcJsTransport } from "../clients/ts/src/grpc-js-transport.ts";
import { EventBus } from "../src/events/bus.ts";
import { drive, machine, startBenchServer, writeResult, type Summary } from "./harness.ts";

interface DeliveryRow {
  name: string;
  subscribers: number;
  seconds: number;
  published: number;
  published_per_s: number;
  delivered: number;
  delivered_per_s: number;
  lost: number;
}

const round = (n: number) => Math.round(n);

/** The bus alone: publish as fast as possible in slices, subscribers drain between slices. */
async function busDelivery(subscribers: number, seconds: number): Promise<DeliveryRow> {
  const bus = new EventBus({ logSize: 10_000, subscriberBuffer: 1024 });
  let delivered = 0;
  let lost = 0;
  const loops = Array.from({ length: subscribers }, async () => {
    for await (const m of bus.subscribe()) {
      if (m.message.case === "event") delivered++;
      else if (m.message.case === "lost") lost += Number(m.message.value.missedCount);
    }
  });
  const event = create(ServiceEventSchema, {
    event: { case: "scriptExecuted", value: { scriptId: "bench", executionId: "x", success: true } },
  });
  const start = performance.now();
  const end = start + seconds * 1000;
  let published = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 512; i++) bus.publish(event);
    published += 512;
    await new Promise((r) => setImmediate(r)); // let the subscribers drain
  }
  const elapsed = (performance.now() - start) / 1000;
  bus.close();
  await Promise.all(loops);
  return {
    name: `in-process bus → ${subscribers} subscriber${subscribers > 1 ? "s" : ""}`,
    subscribers,
    seconds: Math.round(elapsed * 100) / 100,
    published,
    published_per_s: round(published / elapsed),
    delivered,
    delivered_per_s: round(delivered / elapsed),
    lost,
  };
}

/** Through the server: Emit (unary, 32 callers) while N Subscribe streams read. */
async function serverDelivery(
  server: { grpc: string },
  subscribers: number,
  seconds: number,
): Promise<DeliveryRow> {
  const emitter: Client<typeof EventService> = createClient(EventService, createGrpcJsTransport(server.grpc));
  const ac = new AbortController();
  let delivered = 0;
  let lost = 0;
  let started = 0;
  let lastDeliveryAt = 0;
  const loops = Array.from({ length: subscribers }, async () => {
    const client = createClient(EventService, createGrpcJsTransport(server.grpc));
    try {
      for await (const m of client.subscribe({ eventTypes: ["security_violation"] }, { signal: ac.signal })) {
        if (m.message.case === "started") started++;
        else if (m.message.case === "event") {
          delivered++;
          lastDeliveryAt = performance.now();
        } else if (m.message.case === "lost") lost += Number(m.message.value.missedCount);
      }
    } catch {
      /* aborted */
    }
  });
  while (started < subscribers) await new Promise((r) => setTimeout(r, 10));
  const request = { event: { event: { case: "securityViolation" as const, value: { kind: "bench", detail: "x" } } } };
  // Warm up (JIT, connections), let those deliveries land, then count from zero.
  await drive("warm-up", () => emitter.emit(request), { seconds: 0.5, concurrency: 32, warmupSeconds: 0 });
  await new Promise((r) => setTimeout(r, 300));
  delivered = 0;
  lost = 0;
  const t0 = performance.now();
  const summary: Summary = await drive(`emit`, () => emitter.emit(request), { seconds, concurrency: 32, warmupSeconds: 0 });
  // Let in-flight deliveries land, then stop.
  const target = summary.calls * subscribers;
  const deadline = performance.now() + 5000;
  while (delivered + lost < target && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ac.abort();
  await Promise.all(loops);
  return {
    name: `server (gRPC Emit → gRPC Subscribe) → ${subscribers} subscriber${subscribers > 1 ? "s" : ""}`,
    subscribers,
    seconds: summary.seconds,
    published: summary.calls,
    published_per_s: summary.rps,
    delivered,
    // Over the time until the last delivery: subscribers may finish after the emitters.
    delivered_per_s: round(delivered / (Math.max(lastDeliveryAt - t0, summary.seconds * 1000) / 1000)),
    lost,
  };
}

/** RunScript throughput with 0 and 100 subscribers (all event types) attached. */
async function executionWithSubscribers(server: { grpc: string }, seconds: number): Promise<Summary[] | string> {
  const scripts = createClient(ScriptService, createGrpcJsTransport(server.grpc));
  const req = { source: "1 + 1" };
  try {
    await scripts.runScript(req);
  } catch (err) {
    return `skipped: RunScript is not served by this build (${(err as Error).message})`;
  }
  // 8 callers: inside the default (Safe) level's 10 concurrent executions per caller, so no call is refused.
  const rows: Summary[] = [await drive("RunScript, no subscribers", () => scripts.runScript(req), { seconds, concurrency: 8 })];
  const ac = new AbortController();
  let started = 0;
  const loops = Array.from({ length: 100 }, async () => {
    const client = createClient(EventService, createGrpcJsTransport(server.grpc));
    try {
      for await (const m of client.subscribe({}, { signal: ac.signal })) if (m.message.case === "started") started++;
    } catch {
      /* aborted */
    }
  });
  while (started < 100) await new Promise((r) => setTimeout(r, 10));
  rows.push(await drive("RunScript, 100 subscribers attached", () => scripts.runScript(req), { seconds, concurrency: 8 }));
  ac.abort();
  await Promise.all(loops);
  return rows;
}

export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 3)): Promise<unknown> {
  const bus = [await busDelivery(1, seconds), await busDelivery(100, seconds)];
  const server = await startBenchServer(["--set", "events.subscriber_buffer=4096"]);
  let viaServer: DeliveryRow[];
  let execution: Summary[] | string;
  try {
    viaServer = [await serverDelivery(server, 1, seconds), await serverDelivery(server, 100, seconds)];
    execution = await executionWithSubscribers(server, seconds);
  } finally {
    await server.stop();
  }
  const result = {
    machine: machine(),
    seconds,
    note:
      "server rows: the subscribers all run in the benchmark's one client process (beside the emitters) on the same " +
      "machine as the server, so with 100 subscribers the delivered rate is bounded by that client; delivered/s is " +
      "measured up to the last delivery (at most 5 s after the emitters stop), lost counts EventsLost reports",
    bus,
    server: viaServer,
    execution,
  };
  const path = writeResult("events.json", result);
  const lines = ["| events | published/s | delivered/s (all subscribers) | lost |", "|---|---:|---:|---:|"];
  for (const r of [...bus, ...viaServer]) lines.push(`| ${r.name} | ${r.published_per_s} | ${r.delivered_per_s} | ${r.lost} |`);
  console.log(lines.join("\n"));
  if (typeof execution === "string") console.log(`execution with subscribers: ${execution}`);
  else for (const r of execution) console.log(`| ${r.name} | ${r.rps} req/s | p50 ${r.p50_ms} ms | p99 ${r.p99_ms} ms |`);
  console.log(`written ${path}`);
  return result;
}

if (import.meta.main) await run();
