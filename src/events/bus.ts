// The in-process event bus behind EventService.
//
// - publish() assigns each event a strictly increasing sequence number (1, 2, ...), a timestamp
//   and an event id when missing, appends it to a bounded log (a ring of `logSize` events) and
//   offers it to every subscriber. It never awaits and never blocks: its cost is O(subscribers).
// - A subscriber has a bounded buffer of `subscriberBuffer` live events and `subscriberBufferBytes`
//   bytes (counted as the log counts them; one event always fits an empty buffer). One that falls
//   behind loses the events that do not fit: with onLag "notify" it then receives an EventsLost(LAGGED)
//   carrying how many of *its* events (those matching its filter) it missed and their sequence
//   range, in stream order, and goes on; with onLag "disconnect" its subscription is ended with an
//   EVENTS_LOST error (RESOURCE_EXHAUSTED) once the events buffered before the overflow are read.
// - All buffers together may hold no more than `subscribersBytes` of events the log has let go
//   (each event counted once, however many buffers hold it; what the log still holds costs them
//   nothing): otherwise each of the streams a caller may hold, paused at a different time, pins its
//   own subscriberBufferBytes. Past it the owner (principal) whose buffers hold the most of them
//   (each event once per owner) loses its biggest buffer as a lagging subscriber loses what does not
//   fit (one LAGGED notice for all of it, or EVENTS_LOST at once), then the next, until the rest
//   fits: one principal's many paused streams cannot cost another principal's subscriber its
//   buffer, and an owner holding no more than subscribersBytes / (owners holding any) never loses it.
// - Resume: subscribe({ afterSequence }) first replays the retained events after that sequence
//   (read lazily from the log, so a long replay does not count against the buffer), then the live
//   ones, without a gap or a duplicate; live events that find the buffer full while it is still
//   replaying are read from the log after it too, not counted as lagged. Events already dropped from the log are announced by an
//   EventsLost(RETENTION) with the missed count (events of every type) and range. Sequences
//   continue across restarts (firstSequence/onReserve persist a high-water mark), so an
//   after_sequence from an earlier run is recognised: the client gets EventsLost(RESTART) and the
//   whole retained log of this run.
// - A subscription is an async iterator of SubscribeResponse messages: `started` first, then
//   `event` and `lost`. unsubscribe(id), close(), an aborted signal, or leaving the iterator
//   (break / return()) end it at once and free it; pending buffered events are discarded.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { ServiceEvent } from "../../gen/ts/scriptengine/v1/events_pb.js";
import {
  LossReason,
  SubscribeResponseSchema,
  type SubscribeResponse,
} from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clipEventStrings } from "./clip.ts";
import { Deque } from "./deque.ts";
import { EventsError, validationError } from "./errors.ts";
import { parseEventTypes, type EventCase } from "./event-types.ts";
import { jsonEncodable } from "./json-encodable.ts";
import { PushIterator } from "./push-iterator.ts";
import { heapBytesOf } from "./validate.ts";

/** What happens to a subscriber whose buffer overflows (config `events.on_lag`). */
export type LagPolicy = "notify" | "disconnect";

export interface EventBusOptions {
  /** Events retained for resume (config `events.log_size`). Default 10 000. */
  logSize?: number;
  /**
   * Bytes those events may take together (config `events.log_bytes`); past it the oldest leave
   * the log first. Default 64 MiB. Sizes are the ones given to append() (Emit's), else what the
   * stored event holds in memory (heapBytesOf).
   */
  logBytes?: number;
  /** Live events buffered per subscriber (config `events.subscriber_buffer`). Default 1024. */
  subscriberBuffer?: number;
  /**
   * Bytes of live events buffered per subscriber, counted as the log's budget counts them (config
   * `events.subscriber_buffer_bytes`). Default 8 MiB. A reader that stops holds its buffer's
   * events after the log has let them go: without it, 1024 heavy emitted events (~1.8 MB each in
   * memory) per paused stream.
   */
  subscriberBufferBytes?: number;
  /**
   * Bytes of events subscriber buffers may hold together after the log has let them go, each
   * counted once (config `events.subscribers_bytes`). Default 64 MiB.
   */
  subscribersBytes?: number;
  /** Default "notify". */
  onLag?: LagPolicy;
  /** Concurrent subscriptions allowed; more is RESOURCE_EXCEEDED. Default 10 000. */
  maxSubscribers?: number;
  /** `source` given to published events that have none. Default "scriptengine". */
  source?: string;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
  /** Event and subscription id generator (tests). Default crypto.randomUUID. */
  newId?: () => string;
  /**
   * The first sequence of this process (default 1). With a persisted reservation (onReserve),
   * sequences continue across restarts instead of starting again at 1.
   */
  firstSequence?: number;
  /** Called, synchronously, before sequences up to `upTo` are used; persist it (one call per block). */
  onReserve?: (upTo: number) => void;
  /** Told when onReserve fails (and again after it has succeeded since): publishing goes on. */
  onReserveError?: (err: unknown) => void;
  /** Where the run before this one stopped, to tell a client resuming from it what it missed. */
  previousRun?: { first: number; last: number; exact: boolean };
}

/** Sequences reserved per onReserve call. */
const RESERVE_BLOCK = 10_000;

export interface SubscribeOptions {
  /** snake_case event types; empty or absent means all; unknown is VALIDATION_ERROR. */
  eventTypes?: readonly string[];
  /** Replay retained events with a greater sequence before the live ones. */
  afterSequence?: bigint | number;
  /** Aborting it ends the subscription (client disconnect). */
  signal?: AbortSignal;
  /** Who subscribed (a principal's name), for unsubscribe()'s check. */
  owner?: string;
  /** Which events this subscriber may read (absent: all), beyond its type filter. */
  mayRead?: (event: ServiceEvent) => boolean;
  /** Overrides the bus's subscriberBuffer for this subscription. */
  bufferSize?: number;
  /** Overrides the bus's subscriberBufferBytes for this subscription. */
  bufferBytes?: number;
  /** Overrides the bus's onLag for this subscription. */
  onLag?: LagPolicy;
  /**
   * The stream is written as proto3 JSON: an event JSON cannot carry (Emit refuses them, so only
   * a bug in the engine's own events could publish one) reaches it as an EventsLost(UNSPECIFIED)
   * for its sequence alone, rather than ending the stream, and every replay, at that event.
   */
  json?: boolean;
}

export interface EventBusStats {
  subscribers: number;
  latestSequence: number;
  oldestSequence: number;
  retained: number;
  /** Events dropped from subscriber buffers because their subscriber lagged. */
  laggedEvents: number;
  /** Subscriptions ended because they lagged (onLag "disconnect"). */
  lagDisconnects: number;
  /** Bytes of events only subscriber buffers still hold (the log let them go), each counted once. */
  heldBytes: number;
}

interface LogEntry {
  readonly seq: number;
  /** What it counts against the log's byte budget. */
  readonly bytes: number;
  readonly event: ServiceEvent;
  /** The SubscribeResponse wrapping the event, built once and shared by every subscriber. */
  readonly response: SubscribeResponse;
  /** Subscriber buffers holding it, and whether the log still does (else those buffers pin it). */
  holders: number;
  inLog: boolean;
  /**
   * The owners whose buffers hold it, each paying for it once: the first (usually the only one)
   * inline with how many of its buffers hold it, any other in `others` (made only then).
   */
  owner: OwnerHold | null;
  ownerHolders: number;
  others: Map<OwnerHold, number> | null;
}

/** What one owner's (principal's) buffers hold of the events the log let go. */
interface OwnerHold {
  /** Bytes of those events, each counted once however many of its buffers hold it. */
  held: number;
  /** Its subscribers whose buffers hold any bytes (whether the log still holds them or not). */
  readonly holding: Set<Subscription>;
}

/** A buffer of `by` takes the entry (the bus charges its owners when the log lets it go). */
function holdEntry(entry: LogEntry, by: OwnerHold): void {
  entry.holders++;
  if (entry.owner === by) entry.ownerHolders++;
  else if (entry.owner === null && !entry.others?.has(by)) {
    entry.owner = by;
    entry.ownerHolders = 1;
  } else {
    const others = (entry.others ??= new Map());
    others.set(by, (others.get(by) ?? 0) + 1);
  }
}

/**
 * A buffer of `by` lets the entry go (read, dropped or shed); its owner stops paying for it with
 * its last such buffer. Each owner's count falls to 0 once after the log let it go and charged it,
 * so `held` never goes negative.
 */
function releaseEntry(entry: LogEntry, by: OwnerHold): void {
  entry.holders--;
  let last: boolean;
  if (entry.owner === by) {
    last = --entry.ownerHolders === 0;
    if (last) entry.owner = null;
  } else {
    const left = entry.others!.get(by)! - 1;
    last = left === 0;
    if (last) entry.others!.delete(by);
    else entry.others!.set(by, left);
  }
  if (last && !entry.inLog) by.held -= entry.bytes;
}

const isEntry = (m: LogEntry | SubscribeResponse): m is LogEntry => "seq" in m;

/** What a Subscription needs from its bus. */
interface BusHost {
  entryAt(seq: number): LogEntry | undefined;
  oldestInternal(): number;
  latestInternal(): number;
  detach(sub: Subscription): void;
  countLagged(n: number, disconnected: boolean): void;
  /** The account of an owner's buffers (subscribers without an owner share one). */
  ownerHold(owner: string | undefined): OwnerHold;
  /** The last buffer holding an entry the log had let go released it. */
  unpin(bytes: number): void;
}

function lostMessage(reason: LossReason, count: number, first: number, last: number): SubscribeResponse {
  return create(SubscribeResponseSchema, {
    message: {
      case: "lost",
      value: {
        reason,
        missedCount: BigInt(count),
        firstMissedSequence: BigInt(first),
        lastMissedSequence: BigInt(last),
      },
    },
  });
}

export class EventBus {
  readonly #logSize: number;
  readonly #logBytes: number;
  readonly #log: Array<LogEntry | undefined>;
  /** Bytes of the retained entries, and the oldest sequence the byte budget still keeps. */
  #bytes = 0;
  #oldestKept = 0;
  readonly #bufferSize: number;
  readonly #bufferBytes: number;
  readonly #subscribersBytes: number;
  /** Bytes of the entries the log let go that some buffer still holds, and that per owner. */
  #held = 0;
  readonly #owners = new Map<string | undefined, OwnerHold>();
  readonly #onLag: LagPolicy;
  readonly #maxSubscribers: number;
  readonly #source: string;
  readonly #now: () => number;
  readonly #newId: () => string;
  readonly #subs = new Map<string, Subscription>();
  readonly #host: BusHost;
  readonly #first: number;
  readonly #onReserve?: (upTo: number) => void;
  readonly #onReserveError?: (err: unknown) => void;
  readonly #previousRun?: { first: number; last: number; exact: boolean };
  #reserveFailing = false;
  /**
   * Sequence of each retained event by its id, the server's or the one its publisher chose: an
   * Emit retry finds its event, and no one can take an id the log still holds.
   */
  readonly #ids = new Map<string, number>();
  #reservedUpTo = 0;
  #latest = 0;
  #closed = false;
  #laggedEvents = 0;
  #lagDisconnects = 0;

  constructor(options: EventBusOptions = {}) {
    this.#logSize = positiveInt(options.logSize ?? 10_000, "logSize");
    this.#logBytes = positiveInt(options.logBytes ?? 64 * 1024 * 1024, "logBytes");
    this.#bufferSize = positiveInt(options.subscriberBuffer ?? 1024, "subscriberBuffer");
    this.#bufferBytes = positiveInt(options.subscriberBufferBytes ?? 8 * 1024 * 1024, "subscriberBufferBytes");
    this.#subscribersBytes = positiveInt(options.subscribersBytes ?? 64 * 1024 * 1024, "subscribersBytes");
    this.#maxSubscribers = positiveInt(options.maxSubscribers ?? 10_000, "maxSubscribers");
    this.#onLag = options.onLag ?? "notify";
    this.#source = options.source ?? "scriptengine";
    this.#now = options.now ?? Date.now;
    this.#newId = options.newId ?? randomUUID;
    this.#log = new Array(this.#logSize);
    this.#first = positiveInt(options.firstSequence ?? 1, "firstSequence");
    this.#latest = this.#first - 1;
    this.#oldestKept = this.#first;
    this.#reservedUpTo = this.#latest;
    this.#onReserve = options.onReserve;
    this.#onReserveError = options.onReserveError;
    this.#previousRun = options.previousRun;
    this.#host = {
      entryAt: (seq) => this.#entryAt(seq),
      oldestInternal: () => this.#oldestInternal(),
      latestInternal: () => this.#latest,
      detach: (sub) => {
        this.#subs.delete(sub.id);
      },
      countLagged: (n, disconnected) => {
        this.#laggedEvents += n;
        if (disconnected) this.#lagDisconnects++;
      },
      ownerHold: (owner) => {
        let o = this.#owners.get(owner);
        if (!o) this.#owners.set(owner, (o = { held: 0, holding: new Set() }));
        return o;
      },
      unpin: (bytes) => {
        this.#held -= bytes;
      },
    };
  }

  /** The `source` of the server's own events (its service id). */
  get source(): string {
    return this.#source;
  }

  /** The newest sequence published so far (firstSequence - 1 before the first event). */
  get latestSequence(): bigint {
    return BigInt(this.#latest);
  }

  /** The oldest sequence still retained (0 while the log is empty). */
  get oldestSequence(): bigint {
    return BigInt(this.#latest < this.#first ? 0 : this.#oldestInternal());
  }

  /** Live subscriptions (for metrics). */
  get subscriberCount(): number {
    return this.#subs.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  stats(): EventBusStats {
    return {
      subscribers: this.#subs.size,
      latestSequence: this.#latest,
      oldestSequence: Number(this.oldestSequence),
      retained: this.#latest < this.#first ? 0 : this.#latest - this.#oldestInternal() + 1,
      laggedEvents: this.#laggedEvents,
      lagDisconnects: this.#lagDisconnects,
      heldBytes: this.#held,
    };
  }

  /**
   * Publishes one of the server's own events and returns its sequence number. See append(). Its
   * strings are clipped to MAX_EVENT_TEXT characters first: they may quote a caller (a compile
   * error quotes the source), and the log and every replay would hold them whole.
   */
  publish(event: ServiceEvent, bytes?: number): bigint {
    return this.append(clipEventStrings(event), bytes).sequence;
  }

  /**
   * Publishes an event and returns the stored copy (sequence, timestamp, event_id and source
   * filled in). The caller's object is not modified; the stored copy is shared by every
   * subscriber and must be treated as immutable. Never awaits, never throws for a slow
   * subscriber; throws a VALIDATION_ERROR only for an event with no case set (a bug in the caller).
   * `bytes` is what it counts against the log's byte budget; by default what the stored event
   * holds in memory (heapBytesOf), so that events.log_bytes bounds the heap whatever they carry.
   */
  append(event: ServiceEvent, bytes?: number): ServiceEvent {
    if (event.event.case === undefined) throw validationError("event", "an event must have its type set");
    // After close() no subscriber can ever read an event (every stream has ended and the log ends
    // with the process): it takes no number, so the run's last number is its last delivered event's
    // and a client that read to the end of the run is told, after a restart, that it missed nothing.
    if (this.#closed) return { ...event, sequence: 0n, timestamp: event.timestamp ?? timestampFromMs(this.#now()), eventId: event.eventId || this.#newId(), source: event.source || this.#source };
    const seq = this.#latest + 1;
    if (this.#onReserve && seq > this.#reservedUpTo) {
      try {
        this.#onReserve(seq + RESERVE_BLOCK - 1); // persist before use: a crash can only skip numbers
        this.#reservedUpTo = seq + RESERVE_BLOCK - 1;
        this.#reserveFailing = false;
      } catch (err) {
        // The store cannot be written (a full disk). Publishers (health timers among them) must
        // not fail for it: the number is used unpersisted and the next event tries again; only a
        // crash before that succeeds could hand these numbers out again after a restart.
        if (!this.#reserveFailing) this.#onReserveError?.(err);
        this.#reserveFailing = true;
      }
    }
    this.#latest = seq;
    const stored: ServiceEvent = {
      ...event,
      sequence: BigInt(seq),
      timestamp: event.timestamp ?? timestampFromMs(this.#now()),
      eventId: event.eventId !== "" ? event.eventId : this.#newId(),
      source: event.source !== "" ? event.source : this.#source,
    };
    const entry: LogEntry = {
      seq,
      bytes: bytes ?? heapBytesOf(stored),
      event: stored,
      response: create(SubscribeResponseSchema, { message: { case: "event", value: stored } }),
      holders: 0,
      inLog: true,
      owner: null,
      ownerHolders: 0,
      others: null,
    };
    this.#retain(entry);
    this.#ids.set(stored.eventId, seq);
    for (const sub of this.#subs.values()) sub.offer(entry);
    if (this.#held > this.#subscribersBytes) this.#shed();
    return stored;
  }

  /** The retained event with this id (assigned by the server or chosen by its publisher), if any. */
  retainedById(eventId: string): ServiceEvent | undefined {
    const seq = this.#ids.get(eventId);
    if (seq === undefined) return undefined;
    const entry = this.#entryAt(seq);
    if (entry?.event.eventId === eventId) return entry.event;
    this.#ids.delete(eventId); // it has left the log
    return undefined;
  }

  /** The retained events with a sequence greater than `after` (oldest first). */
  retained(after: bigint | number = 0): ServiceEvent[] {
    const out: ServiceEvent[] = [];
    for (let s = Math.max(Number(after) + 1, this.#oldestInternal()); s <= this.#latest; s++) {
      const e = this.#entryAt(s);
      if (e) out.push(e.event);
    }
    return out;
  }

  /**
   * Opens a subscription. Throws VALIDATION_ERROR for an unknown event type, ENGINE_STOPPED
   * after close(), RESOURCE_EXCEEDED past maxSubscribers.
   */
  subscribe(options: SubscribeOptions = {}): Subscription {
    const filter = parseEventTypes(options.eventTypes);
    if (this.#closed) throw new EventsError("ENGINE_STOPPED", "the event bus is shut down");
    if (this.#subs.size >= this.#maxSubscribers) {
      throw new EventsError("RESOURCE_EXCEEDED", `too many subscriptions (limit ${this.#maxSubscribers})`, {
        metadata: { resource: "subscriptions", limit: this.#maxSubscribers },
      });
    }
    const bufferSize = options.bufferSize !== undefined ? positiveInt(options.bufferSize, "bufferSize") : this.#bufferSize;
    const bufferBytes = options.bufferBytes !== undefined ? positiveInt(options.bufferBytes, "bufferBytes") : this.#bufferBytes;
    const latest = this.#latest;
    const oldest = this.#oldestInternal();
    let after = options.afterSequence === undefined ? latest : Number(options.afterSequence);
    if (!Number.isFinite(after) || after < 0) throw validationError("after_sequence", "after_sequence must be >= 0");
    let retentionLost: SubscribeResponse | null = null;
    if (after > latest || after < this.#first - 1) {
      // A sequence from an earlier run of the server (after_sequence beyond the latest means the
      // store that numbers them was reset): what it published after `after` is not retained, and
      // everything this run retained is new to the client. What the earlier runs published after
      // `after` counts exactly when `after` is from the last run and it stopped cleanly; otherwise
      // every number it could have used counts (an upper bound, never 0 when events may be lost).
      const from = after > latest ? 1 : after + 1;
      const known = oldest - 1 >= from;
      let missed: number;
      if (after > latest) {
        // A sequence beyond anything this data directory numbered: its store was reset, and the
        // client's numbers say nothing of ours. Every number before the oldest retained counts (the
        // range, so the count is its size), and it is never reported as nothing (at least 1).
        missed = Math.max(1, oldest - 1);
      } else {
        const p = this.#previousRun;
        const earlier = p?.exact && after >= p.first - 1 ? Math.max(0, p.last - after) : this.#first - 1 - after;
        missed = earlier + oldest - this.#first;
      }
      // The range spans the numbers the client may have missed; a notice that missed nothing has none.
      retentionLost = lostMessage(LossReason.RESTART, missed, known && missed > 0 ? from : 0, known && missed > 0 ? oldest - 1 : 0);
      after = oldest - 1;
    } else if (after < oldest - 1) {
      retentionLost = lostMessage(LossReason.RETENTION, oldest - 1 - after, after + 1, oldest - 1);
      after = oldest - 1;
    }
    const id = this.#newId();
    const started = create(SubscribeResponseSchema, {
      message: {
        case: "started",
        value: { subscriptionId: id, oldestSequence: this.oldestSequence, latestSequence: BigInt(latest) },
      },
    });
    const sub = new Subscription(this.#host, {
      id,
      owner: options.owner,
      mayRead: options.mayRead,
      filter,
      started,
      retentionLost,
      replayFrom: after + 1,
      replayTo: latest,
      bufferSize,
      bufferBytes,
      onLag: options.onLag ?? this.#onLag,
      signal: options.signal,
      json: options.json ?? false,
    });
    if (!sub.ended) this.#subs.set(id, sub);
    return sub;
  }

  /**
   * Ends a subscription's iterator cleanly (from any connection). False if it is unknown, or if
   * `mayEnd` refuses its owner.
   */
  unsubscribe(id: string, mayEnd: (owner: string | undefined) => boolean = () => true): boolean {
    const sub = this.#subs.get(id);
    if (!sub || !mayEnd(sub.owner)) return false;
    sub.close();
    return true;
  }

  /**
   * Ends every subscription (server shutdown) once its reader has what is already queued, such as
   * the engine's own deregistration; later subscribe() calls fail.
   */
  close(): void {
    this.#closed = true;
    for (const sub of [...this.#subs.values()]) sub.endAfterQueued();
  }

  /** Puts an entry in the ring; the one it replaces, then the oldest over the byte budget, leave the log. */
  #retain(entry: LogEntry): void {
    const slot = entry.seq % this.#logSize;
    const replaced = this.#log[slot];
    if (replaced && replaced.seq >= this.#oldestKept) this.#bytes -= replaced.bytes;
    if (replaced) this.#leave(replaced);
    this.#log[slot] = entry;
    this.#bytes += entry.bytes;
    this.#oldestKept = Math.max(this.#oldestKept, entry.seq - this.#logSize + 1);
    // The latest event is always kept, even alone over the budget.
    while (this.#bytes > this.#logBytes && this.#oldestKept < entry.seq) {
      const slot = this.#oldestKept % this.#logSize;
      const oldest = this.#log[slot];
      if (oldest && oldest.seq === this.#oldestKept) {
        this.#bytes -= oldest.bytes;
        this.#leave(oldest);
        // Emptied, not left for a later event to overwrite: the budget bounds what the heap holds.
        this.#log[slot] = undefined;
      }
      this.#oldestKept++;
    }
  }

  /**
   * An entry leaves the log: its id leaves the index (unless a later event holds it), so that stays
   * the log's size, and the buffers still holding it now pin it.
   */
  #leave(entry: LogEntry): void {
    if (this.#ids.get(entry.event.eventId) === entry.seq) this.#ids.delete(entry.event.eventId);
    if (!entry.inLog) return;
    entry.inLog = false;
    if (entry.holders === 0) return;
    this.#held += entry.bytes;
    // As many owners as buffers took it at most: amortised over those offers.
    if (entry.owner) entry.owner.held += entry.bytes;
    if (entry.others) for (const o of entry.others.keys()) o.held += entry.bytes;
  }

  /**
   * Over subscribersBytes: the owner holding the most of what the log let go loses its buffers, the
   * biggest first, until the rest fits or another owner holds more, then that one, and so on. So a
   * principal's paused streams are paid for by that principal, not by whoever else holds the single
   * biggest buffer. Only buffers holding anything are looked at, and only now: a shed buffer pins
   * nothing until it has filled again and the log has let that go, so this comes far more rarely
   * than the offers every publish makes to every subscriber. Shedding an owner's buffer lowers
   * only its own count, so the runner-up found before stays the runner-up while it sheds.
   */
  #shed(): void {
    const oldest = this.#oldestInternal();
    while (this.#held > this.#subscribersBytes) {
      let top: OwnerHold | undefined;
      let next = 0;
      for (const o of this.#owners.values()) {
        if (top === undefined || o.held > top.held) {
          if (top) next = Math.max(next, top.held);
          top = o;
        } else next = Math.max(next, o.held);
      }
      const ranked = [...(top?.holding ?? [])]
        .map((sub) => ({ sub, held: sub.heldBytes(oldest) }))
        .filter((r) => r.held > 0)
        .sort((a, b) => b.held - a.held);
      if (ranked.length === 0) return; // nothing of the top owner's let go: cannot be while counts are exact
      for (const { sub } of ranked) {
        sub.shed(this.#subscribersBytes);
        if (this.#held <= this.#subscribersBytes || top!.held < next) break;
      }
    }
  }

  /** @internal (tests) Bytes of what the log let go that each owner's buffers hold (each event once per owner). */
  heldBytesByOwner(): Map<string | undefined, number> {
    const out = new Map<string | undefined, number>();
    for (const [owner, o] of this.#owners) if (o.held !== 0 || o.holding.size > 0) out.set(owner, o.held);
    return out;
  }

  /**
   * @internal (tests) The held bytes counted from scratch, from what the buffers hold now, to
   * check the running counts (stats().heldBytes, heldBytesByOwner()) against.
   */
  recountHeldBytes(): { total: number; byOwner: Map<string | undefined, number> } {
    const oldest = this.#oldestInternal();
    const all = new Set<LogEntry>();
    const byOwner = new Map<string | undefined, number>();
    for (const [owner, o] of this.#owners) {
      const mine = new Set<LogEntry>();
      for (const sub of o.holding) for (const e of sub.heldEntries(oldest)) mine.add(e);
      let bytes = 0;
      for (const e of mine) {
        bytes += e.bytes;
        all.add(e);
      }
      if (bytes !== 0 || o.holding.size > 0) byOwner.set(owner, bytes);
    }
    let total = 0;
    for (const e of all) total += e.bytes;
    return { total, byOwner };
  }

  #oldestInternal(): number {
    return Math.max(this.#first, this.#latest - this.#logSize + 1, this.#oldestKept);
  }

  #entryAt(seq: number): LogEntry | undefined {
    if (seq < this.#oldestInternal() || seq > this.#latest) return undefined;
    return this.#log[seq % this.#logSize];
  }
}

interface SubscriptionInit {
  id: string;
  filter: ReadonlySet<EventCase> | null;
  started: SubscribeResponse;
  retentionLost: SubscribeResponse | null;
  replayFrom: number;
  replayTo: number;
  owner: string | undefined;
  mayRead: ((event: ServiceEvent) => boolean) | undefined;
  bufferSize: number;
  bufferBytes: number;
  onLag: LagPolicy;
  signal: AbortSignal | undefined;
  json: boolean;
}

/**
 * One subscriber's stream. Single consumer: iterate it once (for await). Created by
 * EventBus.subscribe().
 */
export class Subscription extends PushIterator<SubscribeResponse> {
  readonly id: string;
  readonly owner: string | undefined;
  readonly #host: BusHost;
  /** Its owner's account of held bytes. */
  readonly #hold: OwnerHold;
  readonly #filter: ReadonlySet<EventCase> | null;
  readonly #mayRead: ((event: ServiceEvent) => boolean) | undefined;
  readonly #capacity: number;
  readonly #byteCapacity: number;
  readonly #onLag: LagPolicy;
  readonly #json: boolean;
  #started: SubscribeResponse | null;
  #retentionLost: SubscribeResponse | null;
  #replayNext: number;
  #replayTo: number;
  /** Queued messages: an event's log entry, or a loss notice. */
  readonly #queue = new Deque<LogEntry | SubscribeResponse>();
  /**
   * The bytes ever queued up to each queued message (a running sum, a loss notice counting 0), so
   * that any prefix's bytes are one subtraction; and the bytes queued now (against #byteCapacity).
   */
  readonly #queueEnds = new Deque<number>();
  #pushed = 0;
  #bytes = 0;
  readonly #signal: AbortSignal | undefined;
  /** Events lost since the last one queued (onLag "notify"), announced in stream order. */
  #lag: { count: number; first: number; last: number } | null = null;
  /**
   * The first live event that found the buffer full while the subscriber was still replaying:
   * the log holds it and those after it, so they are read from there once the buffer is drained
   * (reported lost only if the log lets them go first), rather than counted as lagged.
   */
  #catchUpFrom: number | null = null;
  /** The last sequence taken by the reader (an event, or the last of a loss notice). */
  #taken: number;
  /** The bus's latest sequence when it ended after its queue (server shutdown). */
  #endsAt: number | null = null;

  constructor(host: BusHost, init: SubscriptionInit) {
    super();
    this.id = init.id;
    this.owner = init.owner;
    this.#host = host;
    this.#hold = host.ownerHold(init.owner);
    this.#filter = init.filter;
    this.#mayRead = init.mayRead;
    this.#capacity = init.bufferSize;
    this.#byteCapacity = init.bufferBytes;
    this.#onLag = init.onLag;
    this.#json = init.json;
    this.#started = init.started;
    this.#retentionLost = init.retentionLost;
    this.#replayNext = init.replayFrom;
    this.#replayTo = init.replayTo;
    this.#taken = init.replayFrom - 1;
    this.#signal = init.signal;
    this.listen(init.signal);
  }

  /** The event cases this subscription receives (null: all). */
  get eventCases(): ReadonlySet<EventCase> | null {
    return this.#filter;
  }

  /** Live events waiting to be read. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** @internal Called by the bus for every published event. Never blocks. */
  offer(entry: LogEntry): void {
    if (this.ended) return;
    const c = entry.event.event.case;
    if (this.#filter !== null && (c === undefined || !this.#filter.has(c))) return;
    if (this.#mayRead && !this.#mayRead(entry.event)) return;
    if (this.#catchUpFrom !== null) return; // read from the log after the buffer
    const full = this.#full(entry.bytes);
    if (this.#replayNext <= this.#replayTo && full) {
      this.#catchUpFrom = entry.seq;
      return;
    }
    if (this.#lag !== null) {
      if (full) {
        this.#lag.count++;
        this.#lag.last = entry.seq;
        this.#host.countLagged(1, false);
        return;
      }
      // Room again: the loss marker takes its place in the stream before this event.
      this.#push(lostMessage(LossReason.LAGGED, this.#lag.count, this.#lag.first, this.#lag.last));
      this.#lag = null;
    }
    if (!this.#full(entry.bytes)) {
      this.#push(entry);
      this.wake();
      return;
    }
    if (this.#onLag === "disconnect") {
      this.#host.countLagged(1, true);
      this.#finish(
        false,
        new EventsError(
          "EVENTS_LOST",
          `subscriber fell behind: its buffer of ${this.#capacity} events or ${this.#byteCapacity} bytes overflowed at sequence ${entry.seq}; ` +
            "resubscribe with after_sequence set to the last sequence received",
          { metadata: { subscription_id: this.id, first_missed_sequence: entry.seq, buffer: this.#capacity, buffer_bytes: this.#byteCapacity } },
        ),
      );
      return;
    }
    this.#lag = { count: 1, first: entry.seq, last: entry.seq };
    this.#host.countLagged(1, false);
    this.wake();
  }

  /** Whether an event of `bytes` finds no room: the count, or the bytes once anything is queued. */
  #full(bytes: number): boolean {
    return this.#queue.length >= this.#capacity || (this.#bytes > 0 && this.#bytes + bytes > this.#byteCapacity);
  }

  #push(m: LogEntry | SubscribeResponse): void {
    const bytes = isEntry(m) ? m.bytes : 0;
    if (isEntry(m)) holdEntry(m, this.#hold);
    if (this.#bytes === 0 && bytes > 0) this.#hold.holding.add(this);
    this.#queue.push(m);
    this.#pushed += bytes;
    this.#queueEnds.push(this.#pushed);
    this.#bytes += bytes;
  }

  #shift(): SubscribeResponse | undefined {
    const m = this.#queue.shift();
    if (m === undefined) return undefined;
    this.#queueEnds.shift();
    if (!isEntry(m)) return m;
    this.#bytes -= m.bytes;
    this.#release(m);
    if (this.#bytes === 0) this.#hold.holding.delete(this);
    return m.response;
  }

  #release(entry: LogEntry): void {
    releaseEntry(entry, this.#hold);
    if (entry.holders === 0 && !entry.inLog) this.#host.unpin(entry.bytes);
  }

  /** Empties the queue; what it held, as one loss (events and earlier notices), with its events' number. */
  #dropQueue(): { count: number; first: number; last: number; events: number } | null {
    let lost: { count: number; first: number; last: number; events: number } | null = null;
    for (let m = this.#queue.shift(); m !== undefined; m = this.#queue.shift()) {
      let count: number, first: number, last: number;
      if (isEntry(m)) {
        this.#release(m);
        [count, first, last] = [1, m.seq, m.seq];
      } else if (m.message.case === "lost") {
        const v = m.message.value;
        [count, first, last] = [Number(v.missedCount), Number(v.firstMissedSequence), Number(v.lastMissedSequence)];
      } else continue;
      const events = isEntry(m) ? 1 : 0;
      if (lost === null) lost = { count, first, last, events };
      else {
        lost.count += count;
        lost.last = last;
        lost.events += events;
      }
    }
    this.#queueEnds.clear();
    if (this.#bytes > 0) this.#hold.holding.delete(this);
    this.#bytes = 0;
    return lost;
  }

  /**
   * @internal Bytes of its queued events the log has let go: those before `oldest`, a prefix of
   * the queue (both are in sequence order), found by bisection.
   */
  heldBytes(oldest: number): number {
    let lo = 0;
    let hi = this.#queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.#queue.at(mid)!;
      const seq = isEntry(m) ? m.seq : m.message.case === "lost" ? Number(m.message.value.lastMissedSequence) : 0;
      if (seq < oldest) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.#queueEnds.at(lo - 1)! - (this.#pushed - this.#bytes);
  }

  /** @internal (tests) Its queued events the log has let go (recountHeldBytes). */
  heldEntries(oldest: number): LogEntry[] {
    const out: LogEntry[] = [];
    for (let i = 0; i < this.#queue.length; i++) {
      const m = this.#queue.at(i)!;
      if (!isEntry(m)) continue;
      if (m.seq >= oldest) break;
      out.push(m);
    }
    return out;
  }

  /**
   * @internal All subscribers' buffers hold more than `budget` (events.subscribers_bytes) of what
   * the log let go, its owner holds the most of it, and this buffer the most of its owner's: it
   * loses its whole buffer as a lagging subscriber loses what does not fit, told in one LAGGED
   * notice in its place (merged with any loss after it), or ended with EVENTS_LOST right after what
   * it had before the queue under onLag "disconnect".
   */
  shed(budget: number): void {
    const lost = this.#dropQueue();
    if (lost === null) return;
    if (this.#onLag === "notify") {
      if (this.#lag !== null) {
        lost.count += this.#lag.count;
        lost.last = this.#lag.last;
        this.#lag = null;
      }
      this.#push(lostMessage(LossReason.LAGGED, lost.count, lost.first, lost.last));
      this.#host.countLagged(lost.events, false);
      this.wake();
      return;
    }
    const error = new EventsError(
      "EVENTS_LOST",
      `subscriber fell behind: the subscribers' buffers held more than events.subscribers_bytes (${budget}) of events the log had let go, ` +
        `its principal's the most of them and its buffer the most of those, which lost sequences ${lost.first}..${lost.last}; resubscribe with after_sequence set to the last sequence received`,
      { metadata: { subscription_id: this.id, first_missed_sequence: lost.first, subscribers_bytes: budget } },
    );
    // The reader still gets `started` and any replay (they come before the loss), but not events
    // it was to read from the log after the queue: that would be a gap before the error.
    this.#catchUpFrom = null;
    this.#host.countLagged(lost.events, !this.ended);
    // Already ended by its own buffer's overflow: that error came after the queue, this one at once.
    if (this.ended) this.amendError(error);
    else this.#finish(false, error);
  }

  /** Ends the subscription cleanly: the iterator finishes; buffered events are discarded. */
  close(): void {
    this.#finish(true, null);
  }

  /** Ends the subscription cleanly once the reader has what is already queued (replay included). */
  endAfterQueued(): void {
    this.#endsAt = this.#host.latestInternal();
    this.#finish(false, null);
  }

  /**
   * Where its subscriber can resume: every event it may read up to this sequence has been taken
   * from it. Once it ended after its queue and the reader took everything, that is the bus's last
   * sequence at the end (events its filter skips included); otherwise the last event or loss taken.
   */
  get resumeAfter(): bigint {
    const drained = this.#endsAt !== null && !this.#started && !this.#retentionLost && this.#replayNext > this.#replayTo &&
      this.#queue.length === 0 && this.#catchUpFrom === null && this.#lag === null;
    return BigInt(drained ? Math.max(this.#endsAt!, this.#taken) : this.#taken);
  }

  #finish(discard: boolean, error: Error | null): void {
    // Discarding goes on after the end too: a stream ended for its lag keeps its queue for the
    // reader, and what that holds is counted until it is read or the reader leaves.
    const first = this.finish(error);
    if (discard) {
      this.#started = null;
      this.#retentionLost = null;
      this.#replayNext = this.#replayTo + 1;
      this.#dropQueue();
      this.#lag = null;
      this.#catchUpFrom = null;
    }
    if (!first) return;
    // finish() stopped listening: a reader leaving the queue unread must still release it.
    if (this.#bytes > 0) this.#signal?.addEventListener("abort", () => this.close(), { once: true });
    this.#host.detach(this);
  }

  protected take(): SubscribeResponse | undefined {
    let m = this.#poll();
    if (this.#json && m?.message.case === "event" && !jsonEncodable(m.message.value)) {
      const seq = Number(m.message.value.sequence);
      m = lostMessage(LossReason.UNSPECIFIED, 1, seq, seq);
    }
    if (m?.message.case === "event") this.#taken = Number(m.message.value.sequence);
    else if (m?.message.case === "lost") this.#taken = Math.max(this.#taken, Number(m.message.value.lastMissedSequence));
    return m;
  }

  #poll(): SubscribeResponse | undefined {
    if (this.#started) {
      const m = this.#started;
      this.#started = null;
      return m;
    }
    if (this.#retentionLost) {
      const m = this.#retentionLost;
      this.#retentionLost = null;
      return m;
    }
    while (this.#replayNext <= this.#replayTo) {
      const seq = this.#replayNext;
      const entry = this.#host.entryAt(seq);
      if (!entry) {
        // Overwritten in the log while this subscriber was replaying.
        const last = Math.min(this.#host.oldestInternal() - 1, this.#replayTo);
        this.#replayNext = last + 1;
        return lostMessage(LossReason.RETENTION, last - seq + 1, seq, last);
      }
      this.#replayNext++;
      const c = entry.event.event.case;
      if ((this.#filter === null || (c !== undefined && this.#filter.has(c))) && (!this.#mayRead || this.#mayRead(entry.event))) return entry.response;
    }
    const m = this.#shift();
    if (m !== undefined) return m;
    if (this.#catchUpFrom !== null) {
      this.#replayNext = this.#catchUpFrom;
      this.#replayTo = this.#host.latestInternal();
      this.#catchUpFrom = null;
      return this.#poll();
    }
    if (this.#lag !== null) {
      const lag = this.#lag;
      this.#lag = null;
      return lostMessage(LossReason.LAGGED, lag.count, lag.first, lag.last);
    }
    return undefined;
  }
}

function positiveInt(n: number, name: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}
