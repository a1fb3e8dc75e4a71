// grpc-js decompresses each request message as it arrives, before any handler has it, and answers
// one that does not inflate (INTERNAL "Failed to decompress message": a server fault, it says) or
// that names an encoding it lacks (UNIMPLEMENTED) itself: no ErrorInfo, and before the caller is
// authenticated (one without credentials learnt how its message was sent). Its call's
// decompression is wrapped so that such a message reaches the handler as a MalformedRequest
// instead: the guard authenticates the caller, then refuses it as the HTTP door does
// (INVALID_ARGUMENT VALIDATION_ERROR, UNIMPLEMENTED NOT_IMPLEMENTED). A message that inflates past
// server.max_request_bytes is still grpc-js's to refuse (request-too-large.ts).
import { createRequire } from "node:module";
import type { DescMethod } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { serviceError } from "../errors.ts";
import { MalformedRequest, malformedRequestError } from "./malformed-request.ts";

/** What grpc-js decompresses with (a method of its own call, server-interceptors.js). */
type Decompress = (message: Buffer, encoding: string) => Buffer | Promise<Buffer>;

/** The encodings grpc-js inflates besides identity. */
const GRPC_JS_ENCODINGS = "gzip,deflate";

/** Stand-ins for the messages that did not decompress, each with its refusal, for requestDeserialize. */
const undecodable = new WeakMap<Buffer, (method: DescMethod) => MalformedRequest>();

/** The refusal of a message that did not decompress (undecodableToHandler), or undefined for any other. */
export function undecodableMessage(buf: Buffer, method: DescMethod): MalformedRequest | undefined {
  return undecodable.get(buf)?.(method);
}

function standIn(refusal: (method: DescMethod) => MalformedRequest): Buffer {
  const buf = Buffer.alloc(0);
  undecodable.set(buf, refusal);
  return buf;
}

/** grpc-js's refusal `err` of a message in `encoding`, as a stand-in for the handler; undefined to leave it grpc-js's. */
function refusalOf(err: unknown, encoding: string): Buffer | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === grpc.status.INTERNAL) {
    return standIn((method) => new MalformedRequest(method, err, malformedRequestError(method, "its compressed body is not valid")));
  }
  if (code === grpc.status.UNIMPLEMENTED) {
    const error = serviceError("NOT_IMPLEMENTED", `unknown compression ${JSON.stringify(encoding)}: supported encodings are ${GRPC_JS_ENCODINGS}`);
    return standIn((method) => new MalformedRequest(method, err, error));
  }
  return undefined;
}

/** Where grpc-js's calls (BaseServerInterceptingCall) are defined: not an export of its own. */
const GRPC_JS_CALLS = "@grpc/grpc-js/build/src/server-interceptors.js";

/** A gRPC message (its 5-byte prefix, then bytes) flagged compressed that inflates in no encoding. */
const NOT_INFLATING = Buffer.from([1, 0, 0, 0, 3, 0xff, 0xff, 0xff]);

/**
 * Whether grpc-js still decompresses as undecodableToHandler takes it to: a `decompressMessage`
 * method on its calls, refusing a message that does not inflate with INTERNAL and an encoding it
 * lacks with UNIMPLEMENTED. The gRPC door asks once as it opens and says so in the log otherwise
 * (grpc-server.ts): each call's patch would fail unheard.
 */
export async function grpcJsDecompressesAsExpected(): Promise<boolean> {
  let decompress: unknown;
  try {
    const calls = createRequire(import.meta.url)(GRPC_JS_CALLS) as { BaseServerInterceptingCall?: { prototype?: { decompressMessage?: unknown } } };
    decompress = calls.BaseServerInterceptingCall?.prototype?.decompressMessage;
  } catch {
    return false; // moved or no longer reachable
  }
  if (typeof decompress !== "function") return false;
  const refusedWith = async (encoding: string) => {
    try {
      await (decompress as Decompress).call({ maxReceiveMessageSize: -1 }, NOT_INFLATING, encoding);
      return undefined;
    } catch (err) {
      return (err as { code?: unknown } | null)?.code;
    }
  };
  return (await refusedWith("gzip")) === grpc.status.INTERNAL && (await refusedWith("x-unknown")) === grpc.status.UNIMPLEMENTED;
}

/**
 * Makes grpc-js's own `call` (what the first interceptor is handed) hand its handler a message
 * that did not decompress rather than answer it. Encoding names are case-insensitive (RFC 9110
 * §8.4.1), as on the HTTP door. False if grpc-js no longer decompresses that way (grpc-js
 * answers such messages itself again: grpcJsDecompressesAsExpected warns of it as the door opens,
 * and test/doors/grpc-compressed-refusals.test.ts fails).
 */
export function undecodableToHandler(call: grpc.ServerInterceptingCallInterface): boolean {
  const inner = call as unknown as { decompressMessage?: Decompress };
  const decompress = inner.decompressMessage;
  if (typeof decompress !== "function") return false;
  inner.decompressMessage = (message, encoding) => {
    const name = encoding.toLowerCase();
    try {
      const out = decompress.call(call, message, name);
      return out instanceof Promise ? out.catch((err: unknown) => refusalOf(err, name) ?? Promise.reject(err)) : out;
    } catch (err) {
      const refusal = refusalOf(err, name);
      if (refusal) return refusal;
      throw err;
    }
  };
  return true;
}
