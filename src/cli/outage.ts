// How long the live views (events, metrics --watch) wait out a server that went away: a restart,
// a blip, a slow start-up, before they end (exit 3).
import type { DescMessage, DescMethodStreaming, MessageInitShape } from "@bufbuild/protobuf";
import type { ContextValues, StreamResponse, Transport } from "@connectrpc/connect";
import { CliError } from "./exit.ts";

/** The window, by default. */
export const OUTAGE_WINDOW_MS = 10_000;

/** SE_WATCH_RETRY_MS overrides it (a restart slower than 10 s; tests that restart a server), as for `metrics --watch`. */
export function outageWindowMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SE_WATCH_RETRY_MS?.trim();
  if (!v) return OUTAGE_WINDOW_MS;
  const ms = Number(v);
  if (!Number.isSafeInteger(ms) || ms < 0) throw new CliError(`SE_WATCH_RETRY_MS must be a whole number of milliseconds, got ${JSON.stringify(env.SE_WATCH_RETRY_MS)}`);
  return ms;
}

/**
 * Times an outage of a resuming stream: `failed` at each failed (re)connect starts the clock if it
 * is not running, `up` (the stream (re)started) stops it; once it has run `windowMs`, `giveUp` gets
 * the last failure.
 */
export class OutageClock {
  private timer: NodeJS.Timeout | undefined;
  private last: unknown;
  private readonly windowMs: number;
  private readonly giveUp: (lastFailure: unknown) => void;
  constructor(windowMs: number, giveUp: (lastFailure: unknown) => void) {
    this.windowMs = windowMs;
    this.giveUp = giveUp;
  }
  failed(e: unknown): void {
    this.last = e;
    this.timer ??= setTimeout(() => this.giveUp(this.last), this.windowMs);
  }
  up(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** `transport`, telling `clock` of every stream that fails to open or ends in an error. */
export function reportingStreamFailures(transport: Transport, clock: OutageClock): Transport {
  return {
    unary: (...args) => transport.unary(...args),
    async stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: Parameters<Transport["unary"]>[3],
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ): Promise<StreamResponse<I, O>> {
      let res: StreamResponse<I, O>;
      try {
        res = await transport.stream(method, signal, timeoutMs, header, input, contextValues);
      } catch (e) {
        clock.failed(e);
        throw e;
      }
      const messages = res.message;
      return {
        ...res,
        message: (async function* () {
          try {
            yield* messages;
          } catch (e) {
            clock.failed(e);
            throw e;
          }
        })(),
      };
    },
  };
}
