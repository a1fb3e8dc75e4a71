// Registers a protobuf-es service implementation on a grpc-js server. grpc-js does the HTTP/2
// and framing (the fast path), protobuf-es the (de)serialisation, and the handler sees the same
// HandlerContext (headers, deadline, abort signal, context values) it gets from connect-node.
import { create, fromBinary, toBinary, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { createHandlerContext, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { grpcStatusOf } from "./grpc-status.ts";
import { MalformedRequest, throwIfMalformed } from "./malformed-request.ts";
import { Code, ConnectError } from "@connectrpc/connect";
import { MAX_TIMER_MS } from "./long-deadlines.ts";
import { grpcPeer, peerKey } from "./peer.ts";
import { doorValuesOf, headersOf } from "./grpc-js-statuses.ts";
import { clientCertificateKey } from "../auth/client-certificate.ts";
import { abortedWith } from "../errors.ts";
import { UnflushedBytes } from "./unflushed-bytes.ts";
import { undecodableMessage } from "./grpc-decompression.ts";

type AnyImpl = (req: unknown, ctx: HandlerContext) => unknown;

/** Abort reason once a unary call has answered: tells downstream work to stop, without building a DOMException per call. */
const CALL_DONE = Object.freeze(new Error("the call has completed"));

function contextFor(service: DescService, method: DescMethod, call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>): HandlerContext {
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  // Taken as none when a timer cannot hold it, like the header itself (long-deadlines.ts).
  const remainingMs = Number.isFinite(deadlineMs) ? Math.max(0, deadlineMs - Date.now()) : undefined;
  const request = new AbortController();
  const ctx = createHandlerContext({
    service,
    method,
    protocolName: "grpc",
    requestMethod: "POST",
    url: `/${service.typeName}/${method.name}`,
    timeoutMs: remainingMs !== undefined && remainingMs <= MAX_TIMER_MS ? remainingMs : undefined,
    requestSignal: request.signal,
    requestHeader: headersOf(call.metadata),
    // mTLS: the certificate grpc-js verified for the call's connection, read only if authentication needs it.
    contextValues: doorValuesOf(call.metadata).set(clientCertificateKey, () => call.getAuthContext()?.sslPeerCertificate).set(peerKey, grpcPeer(call.getPeer())),
  });
  // grpc-js says "cancelled" whenever the stream closes, also after a normal end: only a call still
  // in progress is cancelled by the client (and only then is the error, with its stack, worth making).
  (call as grpc.ServerUnaryCall<unknown, unknown>).once("cancelled", () => {
    if (!ctx.signal.aborted) request.abort(new ConnectError("cancelled by the client", Code.Canceled));
  });
  return ctx;
}

/** Messages of a request stream, each checked as it arrives (the guard authenticated the call before). */
async function* checkedStream(requests: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  for await (const r of requests) {
    throwIfMalformed(r);
    yield r;
  }
}

/** A response message as grpc-js sends it. */
function encoderOf(method: DescMethod): (msg: unknown) => Buffer {
  return (msg) => Buffer.from(toBinary(method.output, create(method.output, msg as never)));
}

function definitionOf(method: DescMethod, encode: (msg: unknown) => Buffer): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/${method.parent.typeName}/${method.name}`,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    requestSerialize: (msg) => Buffer.from(toBinary(method.input, msg as never)),
    // A malformed message is the caller's fault: keep the error for the handler to answer
    // INVALID_ARGUMENT (grpc-js itself would say INTERNAL).
    requestDeserialize: (buf: Buffer) => {
      // One that did not decompress: answered the same way, by the handler (grpc-decompression.ts).
      const undecodable = undecodableMessage(buf, method);
      if (undecodable) return undecodable;
      try {
        return fromBinary(method.input, buf);
      } catch (err) {
        return new MalformedRequest(method, err);
      }
    },
    // A stream's messages arrive encoded already (pump counts their bytes).
    responseSerialize: (msg) => (Buffer.isBuffer(msg) ? msg : encode(msg)),
    responseDeserialize: (buf: Buffer) => fromBinary(method.output, buf),
  };
}

type ServerStream = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/**
 * Writes every message of `source` to a server stream, honouring backpressure, then ends it.
 * A client that stops reading holds the source; one that then goes away (or whose deadline
 * passes) releases it: a cancelled stream never drains, so the wait also ends with the call.
 * Backpressure is in bytes as well as grpc-js's 16 messages: messages are encoded here, and past
 * STREAM_UNFLUSHED_BYTES not yet flushed the next one stays with the source (unflushed-bytes.ts).
 */
async function pump(source: AsyncIterable<unknown>, call: ServerStream, ctx: HandlerContext, encode: (msg: unknown) => Buffer) {
  const unflushed = new UnflushedBytes();
  try {
    for await (const msg of source) {
      if (call.cancelled || ctx.signal.aborted) break;
      const bytes = encode(msg);
      if (!call.write(bytes, unflushed.add(bytes.length)) && !(await drained(call, ctx.signal))) break;
      if (unflushed.over && !(await unflushed.within(ctx.signal))) break;
    }
    if (call.cancelled) return;
    if (ctx.signal.aborted) call.emit("error", grpcStatusOf(abortedWith(ctx.signal)));
    else call.end();
  } catch (err) {
    if (!call.cancelled) call.emit("error", grpcStatusOf(err));
  }
}

/** True once the stream drains; false if the call ends first. */
function drained(call: ServerStream, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      call.off("drain", onDrain);
      signal.removeEventListener("abort", onAbort);
      resolve(ok);
    };
    const onDrain = done(true);
    const onAbort = done(false);
    call.once("drain", onDrain);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export function addService<S extends DescService>(server: grpc.Server, service: S, impl: ServiceImpl<S>): void {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const encode = encoderOf(method);
    definition[method.name] = definitionOf(method, encode);
    const fn = (impl as unknown as Record<string, AnyImpl>)[method.localName].bind(impl);
    switch (method.methodKind) {
      case "unary":
        handlers[method.name] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const ctx = contextFor(service, method, call);
          Promise.resolve()
            // A malformed request reaches the guard, which authenticates before it says so.
            .then(() => fn(call.request, ctx))
            .then((res) => callback(null, res), (err) => callback(grpcStatusOf(err)))
            .finally(() => ctx.signal.aborted || (ctx as unknown as { abort(reason: unknown): void }).abort(CALL_DONE));
        };
        break;
      case "server_streaming":
        handlers[method.name] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
          const ctx = contextFor(service, method, call);
          void pump((async function* () {
            yield* fn(call.request, ctx) as AsyncIterable<unknown>;
          })(), call, ctx, encode);
        };
        break;
      case "bidi_streaming":
        handlers[method.name] = (call: grpc.ServerDuplexStream<unknown, unknown>) => {
          const ctx = contextFor(service, method, call);
          void pump(fn(checkedStream(call), ctx) as AsyncIterable<unknown>, call, ctx, encode);
        };
        break;
      case "client_streaming":
        handlers[method.name] = (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const ctx = contextFor(service, method, call);
          Promise.resolve()
            .then(() => fn(checkedStream(call), ctx))
            .then((res) => callback(null, res), (err) => callback(grpcStatusOf(err)));
        };
        break;
    }
  }
  server.addService(definition as grpc.ServiceDefinition, handlers);
}
