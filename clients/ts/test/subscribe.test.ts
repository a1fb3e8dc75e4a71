// subscribe() resumes after a dropped connection from the last sequence it delivered: a TCP
// proxy between client and server is cut while scripts keep running; the iterator then yields
// the events it missed, in order, with no duplicates. A server that shuts down ends the stream with
// UNAVAILABLE (ENGINE_STOPPED, RetryInfo), so the iterator carries on with the next server on the address;
// restarted on the same data dir, from where the stream's end said, missing nothing.
import { mkdtempSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ServiceEvent } from "../../../gen/ts/scriptengine/v1/events_pb.js";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, EventsLostError, LossReason, type EventsLost, type ScriptEngineClient } from "../src/index.ts";
import { freePort, onNewServer, SERVER_ARGS } from "./support.ts";

let server: TestServer;
let proxy: Server;
const sockets = new Set<Socket>();
// While set, the proxy drops every new connection at once: the client cannot get back in.
let refusing = false;

const executionIdOf = (r: IteratorResult<ServiceEvent>) =>
  r.value?.event.case === "scriptExecuted" ? r.value.event.value.executionId : `done=${r.done}`;

beforeAll(async () => {
  server = await startServer({ args: SERVER_ARGS });
  const [host, port] = [server.grpc.slice(0, server.grpc.lastIndexOf(":")), Number(server.grpc.slice(server.grpc.lastIndexOf(":") + 1))];
  proxy = createServer((down) => {
    if (refusing) return void down.destroy();
    const up = connect(port, host);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    down.pipe(up).pipe(down);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  await server?.stop();
});

it("resumes from the last sequence after the connection drops", async () => {
  const direct = createScriptEngineClient({ address: server.grpc });
  const viaProxy: ScriptEngineClient = createScriptEngineClient({ address: `127.0.0.1:${(proxy.address() as { port: number }).port}` });
  const abort = new AbortController();
  const starts: bigint[] = [];
  const events = viaProxy.subscribe({ eventTypes: ["script_executed"], afterSequence: 0n, signal: abort.signal, onStarted: (s) => starts.push(s.latestSequence) });
  const it = events[Symbol.asyncIterator]();
  try {
    await direct.run("1", undefined, { context: { executionId: "before-cut" } });
    const first = await it.next();
    expect(first.value?.event.case === "scriptExecuted" && first.value.event.value.executionId).toBe("before-cut");

    for (const s of sockets) s.destroy(); // drop the connection under the live stream
    await direct.run("2", undefined, { context: { executionId: "during-cut-1" } });
    await direct.run("3", undefined, { context: { executionId: "during-cut-2" } });

    const ids: string[] = [];
    const seqs: bigint[] = [first.value!.sequence];
    for (let i = 0; i < 2; i++) {
      const next = await it.next();
      if (next.value?.event.case === "scriptExecuted") ids.push(next.value.event.value.executionId);
      seqs.push(next.value!.sequence);
    }
    expect(ids).toEqual(["during-cut-1", "during-cut-2"]);
    expect(seqs[1]! > seqs[0]! && seqs[2]! > seqs[1]!).toBe(true);
    expect(starts.length).toBeGreaterThanOrEqual(2); // it really subscribed again
  } finally {
    abort.abort();
    await it.return?.();
    direct.close();
    viaProxy.close();
  }
});

it("a resume after a sequence the server does not know reports the loss once, not again after a dropped connection", async () => {
  // Beyond the server's latest (a reset store): RESTART, then all it retains, none of it this type.
  const direct = createScriptEngineClient({ address: server.grpc });
  const viaProxy = createScriptEngineClient({ address: `127.0.0.1:${(proxy.address() as { port: number }).port}` });
  const abort = new AbortController();
  const lost: EventsLost[] = [];
  let noticed!: () => void;
  const firstNotice = new Promise<void>((resolve) => (noticed = resolve));
  let starts = 0;
  let restarted!: () => void;
  const secondStream = new Promise<void>((resolve) => (restarted = resolve));
  const it = viaProxy
    .subscribe({
      eventTypes: ["migration_started"],
      afterSequence: 1_000_000n,
      signal: abort.signal,
      onLost: (l) => (lost.push(l), noticed()),
      onStarted: () => void (++starts === 2 && restarted()),
    })[Symbol.asyncIterator]();
  try {
    const next = it.next();
    await firstNotice;
    for (const s of sockets) s.destroy();
    await secondStream;
    await direct.events.emit({ event: { event: { case: "migrationStarted", value: { toolName: "t", migrationId: "after-cut" } } } });
    const got = await next;
    expect(got.value?.event.case === "migrationStarted" && got.value.event.value.migrationId).toBe("after-cut");
    expect(lost.map((l) => l.reason)).toEqual([LossReason.RESTART]);
  } finally {
    abort.abort();
    await it.return?.();
    direct.close();
    viaProxy.close();
  }
});

it("resubscribes when the server shuts down (UNAVAILABLE, ENGINE_STOPPED) and another takes its address", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  const args = [...SERVER_ARGS, "--grpc-address", address];
  let current: TestServer | undefined = await startServer({ args });
  const client = createScriptEngineClient({ address });
  const abort = new AbortController();
  const starts: bigint[] = [];
  // However long the next server takes to start (the default 10 reconnects last about 16 s at most).
  const it = client.subscribe({ eventTypes: ["script_executed"], afterSequence: 0n, signal: abort.signal, onStarted: (s) => starts.push(s.latestSequence), onLost: () => {}, maxReconnects: 1000 })[Symbol.asyncIterator]();
  const executionId = async () => {
    const next = await it.next();
    return next.value?.event.case === "scriptExecuted" ? next.value.event.value.executionId : `done=${next.done}`;
  };
  try {
    // Each server here has its own data directory, so the second one numbers events from 1 again;
    // five runs put the first server's sequences past the second's, which it then treats as from
    // an earlier run (EventsLost RESTART) and replays its whole log.
    for (let i = 0; i < 5; i++) {
      await client.run("1", undefined, { context: { executionId: `first-server-${i}` } });
      expect(await executionId()).toBe(`first-server-${i}`);
    }
    const pending = executionId(); // waiting on the stream when the server stops
    await current.stop();
    current = await startServer({ args });
    await runOnNewServer(address, "second-server");
    expect(await pending).toBe("second-server");
    expect(starts.length).toBeGreaterThanOrEqual(2);
  } finally {
    abort.abort();
    await it.return?.();
    client.close();
    await current?.stop();
  }
}, 60_000);

it("a live subscription resumes from where its first stream started: events published while it reconnects arrive", async () => {
  const direct = createScriptEngineClient({ address: server.grpc });
  const viaProxy = createScriptEngineClient({ address: `127.0.0.1:${(proxy.address() as { port: number }).port}` });
  const abort = new AbortController();
  const starts: Array<() => void> = [];
  const started = (n: number) => new Promise<void>((resolve) => (starts[n] = resolve));
  const [firstStart, secondStart] = [started(0), started(1)];
  let count = 0;
  const it = viaProxy.subscribe({ eventTypes: ["script_executed"], signal: abort.signal, onStarted: () => starts[count++]?.() })[Symbol.asyncIterator]();
  try {
    const pending = it.next(); // opens the live stream (no afterSequence)
    await firstStart;
    refusing = true;
    for (const s of sockets) s.destroy();
    await direct.run("1", undefined, { context: { executionId: "during-gap" } }); // the client cannot reconnect yet
    refusing = false;
    await secondStart;
    await direct.run("2", undefined, { context: { executionId: "after-gap" } });
    expect([executionIdOf(await pending), executionIdOf(await it.next())]).toEqual(["during-gap", "after-gap"]);
  } finally {
    refusing = false;
    abort.abort();
    await it.return?.();
    direct.close();
    viaProxy.close();
  }
});

it("a live filtered subscription goes on across a clean restart on the same data dir and address, without onLost", async () => {
  // The stopping run publishes events this filter skips (health STOPPING, deregistration) after the
  // last one it delivered; the stream's end says it has everything up to them, so the new run's
  // notice (if any) counts nothing missed and the iteration goes on.
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-ts-restart-"));
  const address = `127.0.0.1:${await freePort()}`;
  const args = [...SERVER_ARGS, "--grpc-address", address];
  let current: TestServer | undefined = await startServer({ args, dataDir });
  const client = createScriptEngineClient({ address });
  const abort = new AbortController();
  let opened!: () => void;
  const started = new Promise<void>((resolve) => (opened = resolve));
  // How many reconnects the restart takes is not the subject: a loaded machine took longer to start
  // the new server than the default 10 reconnects wait (their jittered backoff sums to 13 s at most); the
  // test's own time limit bounds the wait.
  const it = client.subscribe({ eventTypes: ["script_executed"], signal: abort.signal, maxReconnects: 1000, onStarted: () => opened() })[Symbol.asyncIterator]();
  try {
    const first = it.next(); // opens the live stream
    await started;
    await client.run("1", undefined, { context: { executionId: "earlier-run" } });
    expect(executionIdOf(await first)).toBe("earlier-run");
    const pending = it.next().then(executionIdOf, (e: unknown) => e);
    await current.stop();
    current = await startServer({ args, dataDir });
    await runOnNewServer(address, "this-run");
    expect(await pending).toBe("this-run");
  } finally {
    abort.abort();
    await it.return?.();
    client.close();
    await current?.stop();
  }
}, 60_000);

it("resuming after a restart from a checkpoint the earlier run published past ends with EventsLostError without onLost", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-ts-restart-"));
  let current = await startServer({ args: SERVER_ARGS, dataDir });
  let checkpoint = 0n;
  const before = createScriptEngineClient({ address: current.grpc });
  try {
    await before.run("1", undefined, { context: { executionId: "checkpoint" } });
    for await (const event of before.subscribe({ eventTypes: ["script_executed"], afterSequence: 0n })) {
      checkpoint = event.sequence;
      break;
    }
    await before.run("2", undefined, { context: { executionId: "after-checkpoint" } });
  } finally {
    before.close();
    await current.stop();
  }
  current = await startServer({ args: SERVER_ARGS, dataDir });
  const client = createScriptEngineClient({ address: current.grpc });
  try {
    const err = await (async () => {
      for await (const _ of client.subscribe({ eventTypes: ["script_executed"], afterSequence: checkpoint })) return undefined;
    })().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EventsLostError);
    expect((err as EventsLostError).missedCount).toBeGreaterThan(0n);
  } finally {
    client.close();
    await current.stop();
  }
});

it("still ends with EventsLostError when events were really missed and there is no onLost", async () => {
  const small = await startServer({ args: [...SERVER_ARGS, "--set", "events.log_size=1"] });
  const client = createScriptEngineClient({ address: small.grpc });
  try {
    for (let i = 0; i < 3; i++) await client.run(String(i));
    const err = await (async () => {
      for await (const _ of client.subscribe({ afterSequence: 0n })) return undefined;
    })().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(EventsLostError);
    expect((err as EventsLostError).missedCount).toBeGreaterThan(0n);
  } finally {
    client.close();
    await small.stop();
  }
});

it("a subscriber stalled through a shutdown, whose stream the server then resets, resumes on the next server instead of ending CANCELLED", async () => {
  // The stopping server ends streams with UNAVAILABLE after what they hold, but a reader that is not
  // reading cannot take those trailers in (flow control); past the grace the server closes its
  // connections, which resets the stream: CANCELLED that neither the caller nor close() asked for.
  const dataDir = mkdtempSync(join(tmpdir(), "scriptengine-ts-restart-"));
  const address = `127.0.0.1:${await freePort()}`;
  const args = [...SERVER_ARGS, "--grpc-address", address, "--set", "server.shutdown_grace=1s", "--set", "events.subscriber_buffer=5000"];
  let current: TestServer | undefined = await startServer({ args, dataDir });
  const client = createScriptEngineClient({ address });
  const abort = new AbortController();
  // However long the next server takes to start (the default 10 reconnects last about 16 s at most).
  const it = client.subscribe({ afterSequence: 0n, signal: abort.signal, onLost: () => {}, maxReconnects: 1000 })[Symbol.asyncIterator]();
  try {
    // A backlog well past any flow-control window: 400 events of 60 KB.
    for (let i = 0; i < 400; i += 50)
      await Promise.all(Array.from({ length: 50 }, (_, j) => client.events.emit({ event: { event: { case: "securityViolation", value: { kind: "backlog", detail: "d".repeat(60_000) + (i + j) } } } })));
    expect((await it.next()).done).toBe(false); // then the reader stalls
    await new Promise((r) => setTimeout(r, 500));
    await current.stop();
    current = await startServer({ args, dataDir });
    await runOnNewServer(address, "new-run");
    let seen = "";
    while (seen !== "new-run") {
      const next = await it.next();
      if (next.done) throw new Error("the iteration ended");
      if (next.value.event.case === "scriptExecuted") seen = next.value.event.value.executionId;
    }
  } finally {
    abort.abort();
    await it.return?.();
    client.close();
    await current?.stop();
  }
}, 60_000);

/** Runs a script on a server that just took `address` (see onNewServer). */
function runOnNewServer(address: string, executionId: string): Promise<void> {
  return onNewServer(address, (c) => c.run("2", undefined, { context: { executionId } }));
}
