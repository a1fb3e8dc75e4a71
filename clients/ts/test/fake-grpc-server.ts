// A gRPC server on loopback h2c that answers every call with an empty message and OK, noting each
// call's grpc-timeout header and counting the HTTP/2 PINGs (not acks) its clients send. A call's
// answer can be held until a ping arrives, or holdMs passed: a client that pings is seen doing so.
import * as http2 from "node:http2";

export interface FakeGrpcServer {
  /** host:port (grpc-js) */
  address: string;
  /** Each call: its path and its grpc-timeout header (undefined when the client set no deadline). */
  calls: { path: string; timeout: string | undefined }[];
  pings: number;
  close(): Promise<void>;
}

export async function startFakeGrpcServer(holdMs = 0): Promise<FakeGrpcServer> {
  const waiting = new Set<() => void>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  const fake: FakeGrpcServer = {
    address: "",
    calls: [],
    pings: 0,
    close: () =>
      new Promise((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("ping", () => {
      fake.pings++;
      for (const wake of waiting) wake();
    });
  });
  server.on("stream", (stream, headers) => {
    const timeout = headers["grpc-timeout"];
    fake.calls.push({ path: String(headers[":path"]), timeout: Array.isArray(timeout) ? timeout[0] : timeout });
    stream.resume();
    stream.on("end", () => {
      let timer: NodeJS.Timeout | undefined;
      const answer = () => {
        clearTimeout(timer);
        waiting.delete(answer);
        if (stream.closed) return;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.alloc(5)); // one message of 0 bytes
      };
      if (holdMs <= 0) return answer();
      waiting.add(answer);
      timer = setTimeout(answer, holdMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return fake;
}
