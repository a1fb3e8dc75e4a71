// GET /health on the HTTP port: the URL the engine registers as its health_check_url. Load
// balancers and HTTP probes send a bare GET and read the status code, which a Connect RPC
// (POST, or a GET with its message in the query) does not answer: 200 while the engine serves
// (as grpc.health.v1 says SERVING for ""), 503 otherwise. No credentials, like grpc.health.
import type { Handler } from "./connect-server.ts";

export const HEALTH_PATH = "/health";

export function withPlainHealth(handler: Handler, serving: () => boolean): Handler {
  return (req, res) => {
    if ((req.url ?? "").split("?")[0] !== HEALTH_PATH) return handler(req, res);
    res.setHeader("Cache-Control", "no-store");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.statusCode = 405;
      res.setHeader("Allow", "GET, HEAD");
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end("method not allowed: GET or HEAD this path\n");
      return;
    }
    const up = serving();
    res.statusCode = up ? 200 : 503;
    res.setHeader("content-type", "application/json");
    if (req.method === "HEAD") res.end();
    else res.end(`{"status":"${up ? "SERVING" : "NOT_SERVING"}"}\n`);
  };
}
