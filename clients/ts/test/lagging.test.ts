// A reader that falls behind: the server ends its stream RESOURCE_EXHAUSTED EVENTS_LOST (a watch
// past registry.watch_buffer, a subscription past events.subscriber_buffer with on_lag
// "disconnect"). subscribe() and watch() take that as a drop worth resuming: a watch gets a fresh
// snapshot, a subscription resubscribes from its last sequence and what the log no longer holds
// comes as a lost notice.
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { EventService } from "../../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ChangeKind } from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, ResourceExhaustedError, ScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS } from "./support.ts";

let server: TestServer;
let client: ScriptEngineClient;

beforeAll(async () => {
  server = await startServer({
    args: [...SERVER_ARGS, "--set", "discovery.enabled=false"],
    toml: `[events]\nsubscriber_buffer = 2\non_lag = "disconnect"\nlog_size = 50\n[registry]\nwatch_buffer = 2\n`,
  });
  client = createScriptEngineClient({ address: server.grpc });
});

afterAll(async () => {
  client?.close();
  await server?.stop();
});

const emit = (id: string) =>
  client.events.emit({ event: { event: { case: "scriptExecuted", value: { scriptId: "lag-".padEnd(250, "y"), executionId: id, success: true } } } });

it("a subscription that falls behind resubscribes, reports what the log lost to onLost and goes on to the later events", async () => {
  const lost: bigint[] = [];
  let starts = 0;
  let started!: () => void;
  const opened = new Promise<void>((r) => (started = r));
  const abort = new AbortController();
  const events = client.subscribe({
    eventTypes: ["script_executed"],
    signal: abort.signal,
    onStarted: () => (starts++, started()),
    onLost: (l) => lost.push(l.missedCount),
  });
  const it = events[Symbol.asyncIterator]();
  try {
    const first = it.next(); // opens the stream; nothing is read while the events pile up
    await opened;
    // Well past what the transport buffers between the server's buffer of 2 and the reader.
    const pad = "x".repeat(240);
    for (let b = 0; b < 20; b++) await Promise.all(Array.from({ length: 200 }, (_, i) => emit(`e-${b}-${i}-${pad}`)));
    await emit("last");
    const ids: string[] = [];
    for (let r = await first; !r.done; r = await it.next()) {
      const id = r.value.event.case === "scriptExecuted" ? r.value.event.value.executionId : "";
      ids.push(id);
      if (id === "last") break;
    }
    expect(ids.at(-1)).toBe("last");
    expect(starts).toBeGreaterThanOrEqual(2);
    expect(lost.length).toBeGreaterThanOrEqual(1);
    expect(lost.some((n) => n > 0n)).toBe(true);
  } finally {
    abort.abort();
    await it.return?.();
  }
}, 60_000);

it("a watch that falls behind watches again and its new snapshot has the later registrations", async () => {
  let restarts = 0;
  const abort = new AbortController();
  const it = client.watch({ serviceType: "Lag", signal: abort.signal, onRestart: () => restarts++ })[Symbol.asyncIterator]();
  const register = (id: string) => client.registry.registerService({ service: { serviceId: id, serviceType: "Lag", endpoint: "127.0.0.1:9001" } });
  try {
    const first = it.next(); // opens the watch
    await register("w-first");
    expect((await first).done).toBe(false); // then the reader stalls
    await Promise.all(Array.from({ length: 60 }, (_, i) => register(`w-${i}`)));
    await new Promise((r) => setTimeout(r, 300));
    const seen = new Set<string>();
    while (!seen.has("w-59") || restarts < 2) {
      const r = await it.next();
      if (r.done) throw new Error("the watch ended");
      if (r.value.kind === ChangeKind.EXISTING || r.value.kind === ChangeKind.REGISTERED) seen.add(r.value.registration?.service?.serviceId ?? "");
    }
    expect(restarts).toBeGreaterThanOrEqual(2);
  } finally {
    abort.abort();
    await it.return?.();
  }
}, 60_000);

// Whether a fall behind counts toward maxReconnects: a server of our own whose every stream starts,
// maybe delivers one event, then ends EVENTS_LOST; after `streams` of them it ends cleanly.
function lagging(streams: number, deliver: boolean) {
  let calls = 0;
  const transport = createRouterTransport(({ service }) =>
    service(EventService, {
      async *subscribe() {
        calls++;
        yield { message: { case: "started", value: { subscriptionId: "s", latestSequence: 0n } } };
        if (calls > streams) return;
        if (deliver) yield { message: { case: "event", value: { sequence: BigInt(calls) } } };
        throw new ConnectError("subscriber fell behind", Code.ResourceExhausted, undefined, [
          { desc: ErrorInfoSchema, value: { reason: "EVENTS_LOST", domain: "scriptengine.v1" } },
        ]);
      },
    }),
  );
  return { client: new ScriptEngineClient(transport), calls: () => calls };
}

it("falling behind with an event delivered each time does not use up maxReconnects", async () => {
  const { client: c, calls } = lagging(5, true);
  const seqs: bigint[] = [];
  for await (const ev of c.subscribe({ afterSequence: 0n, maxReconnects: 2 })) seqs.push(ev.sequence);
  expect(seqs).toEqual([1n, 2n, 3n, 4n, 5n]);
  expect(calls()).toBe(6);
});

it("falling behind with nothing delivered counts toward maxReconnects, then ends ResourceExhaustedError EVENTS_LOST", async () => {
  const { client: c, calls } = lagging(100, false);
  const outcome = (async () => {
    for await (const _ of c.subscribe({ afterSequence: 0n, maxReconnects: 2 }));
  })();
  await expect(outcome).rejects.toSatisfy((e) => e instanceof ResourceExhaustedError && e.reason === "EVENTS_LOST");
  expect(calls()).toBe(3);
});
