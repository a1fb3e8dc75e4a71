// connect-node reads a request's body (the whole of a unary one, the envelopes of a stream's) without
// watching the call's signal: a body that stalls part-way held its call past the call's deadline
// (answered only once the body came), and, without a deadline, held its HTTP/1.1 socket or HTTP/2
// stream for as long as the client kept trickling it.
// Here the body's reading is made stoppable: the request's async iterator (what connect-node reads
// it through) is wrapped, so a stop makes the pending read fail with the stop's error, which
// connect-node answers in the call's protocol. The door's early-response handling then ends what
// is left of the request (HTTP/1.1: the connection closes; HTTP/2: the stream is reset).
// A body is stopped when its call's deadline passes (the gate links the call's signal), and, when it
// is one message (unary and server-streaming calls), once it has not fully arrived within
// server.idle_timeout of its headers. A client or bidi stream's body is the caller's side of the
// call, open as long as the call is: it has only the deadline.
import type * as http from "node:http";
import type * as http2 from "node:http2";
import { createContextKey, type ConnectError, type HandlerContext } from "@connectrpc/connect";
import { serviceError } from "../errors.ts";
import { onceAborted } from "./call-aborted.ts";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Chunks = AsyncIterator<Buffer>;

/** A one-message body not all in within `withinMs` (server.idle_timeout) of its headers; the gRPC door's too. */
export const bodyTimedOut = (withinMs: number) =>
  serviceError("TIMEOUT", `the request body did not arrive within server.idle_timeout (${withinMs} ms)`, { metadata: { timeout_ms: withinMs } });

export class RequestBody {
  #ended = false;
  #stopped: ConnectError | undefined;
  #stop!: (err: ConnectError) => void;
  readonly #stopping: Promise<never>;
  readonly #timer: NodeJS.Timeout;

  /** Wraps `req`'s reading; its body must have arrived within `withinMs`, else it is stopped and `onTimeout` called. */
  constructor(req: Request, withinMs: number, onTimeout?: () => void) {
    this.#stopping = new Promise<never>((_, reject) => (this.#stop = reject));
    this.#stopping.catch(() => {}); // raced by each read: never unhandled
    const read = (req[Symbol.asyncIterator] as () => Chunks).bind(req);
    Object.defineProperty(req, Symbol.asyncIterator, { configurable: true, value: () => this.#iterate(read()) });
    this.#timer = setTimeout(() => {
      if (!this.#ended && !this.#stopped) onTimeout?.();
      this.stop(bodyTimedOut(withinMs));
    }, withinMs);
    this.#timer.unref();
  }

  /** The call's deadline (or cancellation) stops a body not read to its end yet; a stream's body has no other bound. */
  endWith(ctx: HandlerContext): void {
    const kind = ctx.method.methodKind;
    if (kind === "client_streaming" || kind === "bidi_streaming") clearTimeout(this.#timer);
    // A deadline passed on arrival (0) has aborted the signal already: the call's end stops the body then (call-aborted.ts).
    onceAborted(ctx, (reason) => this.stop(reason as ConnectError));
  }

  /** Fails the body's pending and later reads with `err`, unless it was read to its end. */
  stop(err: ConnectError): void {
    clearTimeout(this.#timer);
    if (this.#ended || this.#stopped) return;
    this.#stopped = err;
    this.#stop(err);
  }

  /** The call is over (its response closed): nothing more to watch. */
  done(): void {
    clearTimeout(this.#timer);
  }

  #iterate(chunks: Chunks): AsyncIterableIterator<Buffer> {
    const self = this;
    return {
      next: async () => {
        if (self.#stopped) throw self.#stopped;
        const r = await Promise.race([chunks.next(), self.#stopping]);
        if (r.done) {
          self.#ended = true;
          clearTimeout(self.#timer);
        }
        return r;
      },
      return: async (value?: unknown) => (await chunks.return?.(value)) ?? { done: true, value: undefined },
      throw: async (e?: unknown) => (await chunks.throw?.(e)) ?? { done: true, value: undefined },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }
}

/** The call's RequestBody, for the request gate (connect-node's contextValues carry it). */
export const requestBodyKey = createContextKey<RequestBody | undefined>(undefined, { description: "request body" });
