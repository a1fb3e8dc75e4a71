// grpc-js runs a unary or server-streaming handler only once its one request message and the
// client's half-close have come, and nothing bounds the wait: a peer that opens streams and never
// sends their body held each one (and its memory) for good, before any authentication, since a
// call in progress keeps its connection from being idle. As on the HTTP door (request-body.ts), that
// body must arrive within server.idle_timeout of the call's headers (and the call's deadline, which
// grpc-js enforces itself): else DEADLINE_EXCEEDED TIMEOUT, and the stream ends. A client or bidi
// stream's body is the caller's side of the call, open as long as the call is: it has only the deadline.
import * as grpc from "@grpc/grpc-js";
import { grpcStatusOf } from "./grpc-status.ts";
import { bodyTimedOut } from "./request-body.ts";
import { peerOf, type CutLog } from "./cut-log.ts";

/** A server interceptor: a one-message request must have fully arrived within `withinMs`; each call ended so is told to `cuts`. */
export const requestWithin = (withinMs: number, cuts: CutLog = () => {}): grpc.ServerInterceptor => (method, call) => {
  if (method.requestStream) return new grpc.ServerInterceptingCall(call);
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearTimeout(timer);
  return new grpc.ServerInterceptingCall(call, {
    start: (next) => {
      timer = setTimeout(() => {
        cuts("body", peerOf(call.getConnectionInfo()));
        call.sendStatus(grpcStatusOf(bodyTimedOut(withinMs)) as grpc.StatusObject);
      }, withinMs);
      timer.unref();
      next({
        onReceiveHalfClose: (go) => {
          stop();
          go();
        },
        onCancel: stop,
      });
    },
    sendStatus: (status, go) => {
      stop();
      go(status);
    },
  });
};
