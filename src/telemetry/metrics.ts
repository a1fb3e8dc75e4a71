// Gauges and counters read from the engine's and the event bus's own figures at each collection
// (one stats() call per collection, whatever the number of readers' instruments).
import type { Meter } from "@opentelemetry/api";
import type { EngineStats } from "../engine/index.ts";
import {
  METRIC_CACHE_HITS,
  METRIC_CACHE_MISSES,
  METRIC_COMPILE_QUEUE_LENGTH,
  METRIC_EVENT_LAG_DISCONNECTS,
  METRIC_EVENT_SUBSCRIBERS,
  METRIC_EVENTS_LAGGED,
  METRIC_ISOLATE_RECYCLES,
  METRIC_POOL_ISOLATES,
  METRIC_QUEUE_LENGTH,
  METRIC_STORE_BYTES,
  METRIC_WORKER_RESTARTS,
} from "./semconv.ts";

export interface ObservedSources {
  engine: () => EngineStats;
  eventSubscribers?: () => number;
  /** The event bus's lag counters (EventBus.stats()). */
  eventLag?: () => { laggedEvents: number; lagDisconnects: number };
  storedScriptBytes?: () => number;
}

/** The sources' figures at one collection. */
interface Reading {
  engine: EngineStats;
  subscribers?: number;
  stored?: number;
  lag?: { laggedEvents: number; lagDisconnects: number };
}

/**
 * Registers the observable instruments; returns the function that stops reading the sources (the
 * server calls it at shutdown, before it closes them). From then on the figures read last are
 * reported: the final export at shutdown carries them. Unregistered, the instruments were missing
 * from it, so whatever they counted since the previous periodic export (a minute by default: the
 * worker restarts that led to the shutdown) never reached the collector.
 */
export function observeServer(meter: Meter, sources: ObservedSources): () => void {
  const hits = meter.createObservableCounter(METRIC_CACHE_HITS, { description: "Compile cache hits" });
  const misses = meter.createObservableCounter(METRIC_CACHE_MISSES, { description: "Compile cache misses" });
  const recycles = meter.createObservableCounter(METRIC_ISOLATE_RECYCLES, {
    description: "Isolates disposed and replaced: after a limit hit or a cancel, after pool.recycle_after executions, or for an execution with another memory limit",
  });
  const restarts = meter.createObservableCounter(METRIC_WORKER_RESTARTS, {
    description: "Worker processes killed and replaced: a crash, a hang, memory, or to stop a script holding its thread past its time or cancelled by its caller (a script's own limit breach included)",
  });
  const isolates = meter.createObservableGauge(METRIC_POOL_ISOLATES, { description: "Isolates by state: busy (running an execution), parked (holding one waiting on a tool or timer), idle (room to run one)" });
  const queue = meter.createObservableGauge(METRIC_QUEUE_LENGTH, { description: "Executions waiting for an isolate" });
  const compiles = meter.createObservableGauge(METRIC_COMPILE_QUEUE_LENGTH, {
    description: "Compilations of new sources compiling or waiting for a worker, by state: waited (a caller waits; at most pool.max_queue) or abandoned (their callers left)",
  });
  const subscribers = meter.createObservableGauge(METRIC_EVENT_SUBSCRIBERS, { description: "Open event subscriptions" });
  const lagged = meter.createObservableCounter(METRIC_EVENTS_LAGGED, {
    description:
      "Events subscribers missed because they fell behind: each that found its subscriber's buffer full (events.subscriber_buffer or subscriber_buffer_bytes; " +
      "under on_lag = disconnect, the one that ended the subscription), and every event in a buffer dropped whole past events.subscribers_bytes " +
      "(each subscriber told: EventsLost LAGGED, or EVENTS_LOST under disconnect)",
  });
  const lagDisconnects = meter.createObservableCounter(METRIC_EVENT_LAG_DISCONNECTS, { description: "Subscriptions ended because they fell behind (events.on_lag = disconnect)" });
  const stored = meter.createObservableGauge(METRIC_STORE_BYTES, { description: "Bytes the stored scripts take (held to store.max_bytes)", unit: "By" });
  const read = (): Reading => ({
    engine: sources.engine(),
    subscribers: sources.eventSubscribers?.(),
    stored: sources.storedScriptBytes?.(),
    lag: sources.eventLag?.(),
  });
  let last: Reading | undefined;
  const callback = (result: Parameters<Parameters<Meter["addBatchObservableCallback"]>[0]>[0]) => {
    const reading = last ?? read();
    const s = reading.engine;
    result.observe(hits, s.cacheHits);
    result.observe(misses, s.cacheMisses);
    result.observe(recycles, s.isolateRecycles);
    result.observe(restarts, s.workerRestarts);
    // Parked executions hold an isolate each but no thread: they are neither busy nor idle room.
    const running = s.busyIsolates - (s.parkedExecutions ?? 0);
    result.observe(isolates, running, { state: "busy" });
    result.observe(isolates, s.parkedExecutions ?? 0, { state: "parked" });
    result.observe(isolates, Math.max(0, s.poolSize - running), { state: "idle" });
    result.observe(queue, s.queueLength);
    result.observe(compiles, s.compilesInFlight, { state: "waited" });
    result.observe(compiles, s.compilesAbandoned, { state: "abandoned" });
    if (reading.subscribers !== undefined) result.observe(subscribers, reading.subscribers);
    if (reading.stored !== undefined) result.observe(stored, reading.stored);
    if (reading.lag) {
      result.observe(lagged, reading.lag.laggedEvents);
      result.observe(lagDisconnects, reading.lag.lagDisconnects);
    }
  };
  const observables = [hits, misses, recycles, restarts, isolates, queue, compiles, subscribers, lagged, lagDisconnects, stored];
  meter.addBatchObservableCallback(callback, observables);
  return () => {
    last ??= read();
  };
}
