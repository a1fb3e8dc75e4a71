// HTTP/2 connections to either port, opened by hand: whether the server took one (its SETTINGS
// came) or closed it, and a health check over one.
import * as http2 from "node:http2";

/** An HTTP/2 connection: "served" once the server's SETTINGS came, "closed" if it closed before. */
export function connect(address: string): Promise<{ session: http2.ClientHttp2Session; outcome: "served" | "closed" }> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  return new Promise((resolve) => {
    session.once("remoteSettings", () => resolve({ session, outcome: "served" }));
    session.once("close", () => resolve({ session, outcome: "closed" }));
  });
}

/** A health check on `session` (gRPC on the gRPC port, GET /health on the HTTP port): its grpc-status or HTTP status. */
export function healthCheck(session: http2.ClientHttp2Session, door: "grpc" | "http"): Promise<string> {
  return new Promise((resolve, reject) => {
    const stream =
      door === "http"
        ? session.request({ ":method": "GET", ":path": "/health" })
        : session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers" });
    let status = "";
    stream.on("response", (headers) => (status = door === "http" ? String(headers[":status"]) : String(headers["grpc-status"] ?? "")));
    stream.on("trailers", (trailers) => (status = String(trailers["grpc-status"])));
    stream.on("error", reject);
    stream.on("close", () => resolve(status));
    stream.resume();
    stream.end(door === "grpc" ? Buffer.alloc(5) : undefined);
  });
}
