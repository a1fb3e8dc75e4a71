// A Connect `Transport` backed by @grpc/grpc-js: one client API (createClient) over the
// fastest Node gRPC stack. Errors become ConnectErrors whose details (ErrorInfo, RetryInfo, ...)
// come from the grpc-status-details-bin trailer, exactly as the Connect transports expose them.
import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescMethodStreaming, type DescMethodUnary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { StatusSchema } from "../../../gen/ts/google/rpc/status_pb.js";
import { ConnectionPool } from "./connection-pool.ts";

type HeaderInit = ConstructorParameters<typeof Headers>[0];

export interface GrpcJsTransportOptions {
  /** Channel credentials; insecure when omitted. */
  credentials?: grpc.ChannelCredentials;
  /** grpc-js channel options (keepalive, message sizes, ...). */
  channelOptions?: grpc.ChannelOptions;
}

/**
 * Each channel has its own connection: grpc-js otherwise shares one between all channels to an
 * address in the process, so one client's long-lived streams would take every other client's slots.
 */
const OWN_CONNECTION: grpc.ChannelOptions = { "grpc.use_local_subchannel_pool": 1 };

/**
 * The headers as grpc-js metadata. A -bin header travels as base64 text on the HTTP transports (as
 * headersOf gives it back); grpc-js takes its bytes. What grpc-js refuses is INVALID_ARGUMENT, not the
 * UNKNOWN its plain Error would become.
 */
function metadataOf(header: HeaderInit | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  new Headers(header).forEach((value, key) => {
    try {
      md.add(key, key.endsWith("-bin") ? Buffer.from(value, "base64") : value);
    } catch (e) {
      throw new ConnectError(`header ${JSON.stringify(key)}: ${e instanceof Error ? e.message : String(e)}`, Code.InvalidArgument);
    }
  });
  return md;
}

function headersOf(md: grpc.Metadata | undefined): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(md?.getMap() ?? {})) h.append(k, Buffer.isBuffer(v) ? v.toString("base64") : v);
  return h;
}

/** Turns a grpc-js error into a ConnectError carrying the server's details. */
export function connectErrorOf(err: Partial<grpc.StatusObject> & Error): ConnectError {
  const code = (err.code ?? grpc.status.UNKNOWN) as number as Code;
  const e = new ConnectError(err.details ?? err.message, code, headersOf(err.metadata));
  const bin = err.metadata?.get("grpc-status-details-bin")[0];
  if (Buffer.isBuffer(bin)) {
    try {
      const status = fromBinary(StatusSchema, bin);
      e.details = status.details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1), value: any.value }));
    } catch {
      /* undecodable details: keep code and message */
    }
  }
  return e;
}

/**
 * An abort's error as the Connect transports make it (grpc-js only says "Cancelled on client"):
 * CANCELLED with the reason's message and the reason as its cause.
 */
const abortedBy = (signal: AbortSignal) => ConnectError.from(signal.reason, Code.Canceled);

function callOptions(signal: AbortSignal | undefined, timeoutMs: number | undefined): grpc.CallOptions {
  return timeoutMs !== undefined && timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {};
}

/**
 * A timeoutMs of 0 or less is a deadline already passed, as Connect's transports read it (grpc-js
 * would take it for none): DEADLINE_EXCEEDED, nothing sent.
 */
const deadlinePassed = (timeoutMs: number | undefined) => timeoutMs !== undefined && timeoutMs <= 0;
const timedOut = () => new ConnectError("the operation timed out", Code.DeadlineExceeded);

/** A request's bytes; what cannot be encoded fails as connect-es reports it (INTERNAL "serialize binary: …"). */
function encode<I extends DescMessage>(schema: I, msg: MessageInitShape<I>): Buffer {
  try {
    return Buffer.from(toBinary(schema, create(schema, msg)));
  } catch (e) {
    throw new ConnectError(`serialize binary: ${e instanceof Error ? e.message : String(e)}`, Code.Internal);
  }
}

export function createGrpcJsTransport(address: string, options: GrpcJsTransportOptions = {}): Transport & { close(): void } {
  const credentials = options.credentials ?? grpc.credentials.createInsecure();
  const channels = new ConnectionPool(() => new grpc.Client(address, credentials, { ...OWN_CONNECTION, ...options.channelOptions }));
  const path = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;
  const serializer = <I extends DescMessage>(m: DescMethod & { input: I }) => (msg: MessageInitShape<I>) => encode(m.input, msg);
  // A unary or server-streaming request is encoded before its call starts, as connect-es does: one
  // that cannot be (a field out of its type's range) then fails with nothing sent, not after headers.
  const encoded = (b: Buffer) => b;
  const deserializer = <O extends DescMessage>(m: DescMethod & { output: O }) => (buf: Buffer) => fromBinary(m.output, buf);

  // close() ends the calls still in flight, as the Go and Python clients do (grpc-js alone would let
  // them run on), and any later call fails at once: both as CANCELLED "the client was closed".
  let closed = false;
  const inFlight = new Set<grpc.Call>();
  const closedError = () => new ConnectError("the client was closed", Code.Canceled);
  const track = (call: grpc.Call, release: () => void) => {
    inFlight.add(call);
    call.on("status", () => {
      inFlight.delete(call);
      release();
    });
  };

  return {
    close: () => {
      closed = true;
      for (const call of inFlight) call.cancel();
      inFlight.clear();
      for (const client of channels.connections) client.close();
    },
    unary<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, signal: AbortSignal | undefined, timeoutMs: number | undefined, header: HeaderInit | undefined, input: MessageInitShape<I>): Promise<UnaryResponse<I, O>> {
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(abortedBy(signal));
        if (closed) return reject(closedError());
        if (deadlinePassed(timeoutMs)) return reject(timedOut());
        const request = encode(method.input, input);
        let responseHeader = new Headers();
        // Filled in place: grpc-js emits the status (with the trailers) just after the callback.
        const trailer = new Headers();
        const { conn: client, release } = channels.acquire();
        const call = client.makeUnaryRequest(path(method), encoded, deserializer(method), request, metadataOf(header), callOptions(signal, timeoutMs), (err, message) => {
          signal?.removeEventListener("abort", cancel);
          if (err && err.code === grpc.status.CANCELLED && signal?.aborted) return reject(abortedBy(signal));
          if (err) return reject(closed && err.code === grpc.status.CANCELLED ? closedError() : connectErrorOf(err));
          resolve({ stream: false, service: method.parent, method, header: responseHeader, message: message as MessageShape<O>, trailer: trailer });
        });
        call.on("metadata", (md) => (responseHeader = headersOf(md)));
        call.on("status", (s) => headersOf(s.metadata).forEach((v, k) => trailer.append(k, v)));
        const cancel = () => call.cancel();
        signal?.addEventListener("abort", cancel, { once: true });
        track(call, release);
      });
    },
    async stream<I extends DescMessage, O extends DescMessage>(method: DescMethodStreaming<I, O>, signal: AbortSignal | undefined, timeoutMs: number | undefined, header: HeaderInit | undefined, input: AsyncIterable<MessageInitShape<I>>): Promise<StreamResponse<I, O>> {
      if (signal?.aborted) throw abortedBy(signal);
      if (closed) throw closedError();
      if (deadlinePassed(timeoutMs)) throw timedOut();
      const md = metadataOf(header);
      const opts = callOptions(signal, timeoutMs);
      let call: grpc.ClientReadableStream<MessageShape<O>> | grpc.ClientDuplexStream<MessageInitShape<I>, MessageShape<O>>;
      let first: Buffer | undefined;
      if (method.methodKind === "server_streaming") {
        for await (const msg of input) {
          first = encode(method.input, msg);
          break;
        }
      }
      const { conn: client, release } = channels.acquire();
      if (method.methodKind === "server_streaming") {
        call = client.makeServerStreamRequest(path(method), encoded, deserializer(method), first ?? encode(method.input, {} as MessageInitShape<I>), md, opts);
      } else {
        const duplex = client.makeBidiStreamRequest(path(method), serializer(method), deserializer(method), md, opts);
        call = duplex;
        void (async () => {
          for await (const msg of input) duplex.write(msg);
          duplex.end();
        })().catch(() => duplex.cancel());
      }
      const cancel = () => call.cancel();
      signal?.addEventListener("abort", cancel, { once: true });
      track(call, release);
      const trailer = new Headers();
      call.on("status", (s: grpc.StatusObject) => headersOf(s.metadata).forEach((v, k) => trailer.set(k, v)));
      // An error can arrive before anyone iterates (e.g. a stream refused before its first
      // message); keep it so iteration reports it instead of ending as if OK.
      let failed: grpc.ServiceError | undefined;
      call.on("error", (e: grpc.ServiceError) => (failed ??= e));
      // A stream that ends with no message comes back trailers-only: no 'metadata' then, and 'end'
      // only once someone reads, so its status must settle the wait too (an OK one ends iteration).
      const responseHeader = await new Promise<Headers>((resolve) => {
        call.once("metadata", (m: grpc.Metadata) => resolve(headersOf(m)));
        call.once("error", () => resolve(new Headers()));
        call.once("end", () => resolve(new Headers()));
        call.once("status", () => resolve(new Headers()));
      });
      async function* messages(): AsyncGenerator<MessageShape<O>> {
        try {
          if (!failed) for await (const msg of call as AsyncIterable<MessageShape<O>>) yield msg;
          if (failed) throw failed;
        } catch (err) {
          if (signal?.aborted) throw abortedBy(signal);
          if (closed && (err as grpc.ServiceError).code === grpc.status.CANCELLED) throw closedError();
          throw connectErrorOf(err as grpc.ServiceError);
        } finally {
          signal?.removeEventListener("abort", cancel);
          call.cancel();
        }
      }
      return { stream: true, service: method.parent, method, header: responseHeader, message: messages(), trailer };
    },
  };
}
