// A gRPC server on loopback h2c whose every call is answered as the test says: a stream reset with
// an HTTP/2 code before any response (REFUSED_STREAM, ...), or these messages then this status.
import * as http2 from "node:http2";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";

export type Answer = { reset: number } | { messages: Uint8Array[]; status?: number };

export interface ScriptedGrpcServer {
  /** host:port */
  address: string;
  /** Each call's path, in the order they came. */
  paths: string[];
  close(): Promise<void>;
}

/** One gRPC message: its 5-byte frame header (not compressed, length) and its bytes. */
export function framed<S extends DescMessage>(schema: S, init: MessageInitShape<S>): Uint8Array {
  const bytes = toBinary(schema, create(schema, init));
  const frame = Buffer.alloc(5 + bytes.length);
  frame.writeUInt32BE(bytes.length, 1);
  frame.set(bytes, 5);
  return frame;
}

/** `answer` is given the call's path and its index among all calls (0 for the first). */
export async function startScriptedGrpcServer(answer: (path: string, index: number) => Answer): Promise<ScriptedGrpcServer> {
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  const scripted: ScriptedGrpcServer = {
    address: "",
    paths: [],
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {}); // the reset's own error on this side
    const path = String(headers[":path"]);
    const a = answer(path, scripted.paths.push(path) - 1);
    if ("reset" in a) return void stream.close(a.reset);
    stream.resume();
    stream.on("end", () => {
      if (stream.closed) return;
      stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": String(a.status ?? 0) }));
      stream.end(Buffer.concat(a.messages));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  scripted.address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return scripted;
}
