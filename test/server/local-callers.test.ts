// With no credentials configured every caller is the all-powerful local principal, so the HTTP
// door must keep out browser pages: one whose name was rebound to 127.0.0.1 (DNS rebinding:
// foreign Host, same-origin request) or any page on an origin not in server.cors_origins.
import http from "node:http";
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromBinary } from "@bufbuild/protobuf";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { startServer, type TestServer } from "../helpers/server.ts";

const ALLOWED = "http://app.localhost:3000";
const HEALTH = "/scriptengine.v1.ScriptService/HealthCheck";

let open: TestServer;
let authed: TestServer;
beforeAll(async () => {
  [open, authed] = await Promise.all([
    startServer({ toml: `[server]\ncors_origins = ["${ALLOWED}"]\n` }),
    startServer({ toml: `[[auth.principals]]\nname = "ops"\ntoken = "ops-token-0123456789abcdef"\npermissions = ["admin"]\n` }),
  ]);
});
afterAll(async () => {
  await Promise.all([open.stop(), authed.stop()]);
});

interface Answer { status: number; body: string; }

/** A Connect JSON call (or any request) over HTTP/1.1 with these Host and Origin headers. */
function h1(server: TestServer, headers: Record<string, string>, path = HEALTH, method = "POST"): Promise<Answer> {
  const [host, port] = [server.http.slice(0, server.http.lastIndexOf(":")), Number(server.http.slice(server.http.lastIndexOf(":") + 1))];
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method, headers: { "content-type": "application/json", ...headers } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode!, body }));
    });
    req.on("error", reject);
    req.end(method === "POST" ? "{}" : undefined);
  });
}

/** A gRPC call over h2c with this :authority; returns grpc-status and the ErrorInfo reason. */
async function grpc(server: TestServer, authority: string): Promise<{ status: string | undefined; reason?: string }> {
  const session = http2.connect(`http://${server.http}`);
  session.on("error", () => {});
  try {
    return await new Promise((resolve, reject) => {
      const req = session.request({ ":method": "POST", ":path": HEALTH, ":authority": authority, "content-type": "application/grpc", te: "trailers" });
      const done = (h: http2.IncomingHttpHeaders) => {
        const details = h["grpc-status-details-bin"];
        const status = h["grpc-status"] as string | undefined;
        if (status === undefined) return;
        let reason: string | undefined;
        if (typeof details === "string") {
          const info = decodeStatusErrorInfo(Buffer.from(details, "base64"));
          reason = info?.reason;
        }
        resolve({ status, reason });
      };
      req.on("response", done);
      req.on("trailers", done);
      req.on("data", () => {});
      req.on("error", reject);
      req.end(Buffer.from([0, 0, 0, 0, 0]));
    });
  } finally {
    session.close();
  }
}

/** The ErrorInfo inside a google.rpc.Status. */
function decodeStatusErrorInfo(status: Buffer) {
  const s = fromBinary(StatusSchema, status);
  const any = s.details.find((d) => d.typeUrl.endsWith("google.rpc.ErrorInfo"));
  return any ? fromBinary(ErrorInfoSchema, any.value) : undefined;
}

const port = (s: TestServer) => s.http.slice(s.http.lastIndexOf(":") + 1);

describe("no credentials: the HTTP door serves local clients only", () => {
  it("a page rebound to 127.0.0.1 (foreign Host, its own Origin) is refused PERMISSION_DENIED with ErrorInfo", async () => {
    const name = `attacker.example:${port(open)}`;
    const a = await h1(open, { host: name, origin: `http://${name}` });
    expect(a.status).toBe(403);
    const body = JSON.parse(a.body) as { code: string; details?: { type: string }[] };
    expect(body.code).toBe("permission_denied");
    expect(body.details?.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
    // The same over HTTP/2 gRPC, with only a foreign :authority.
    expect(await grpc(open, name)).toEqual({ status: "7", reason: "SECURITY_VIOLATION" });
  });

  it("a loopback Host with an Origin not in server.cors_origins is refused; a configured one is served", async () => {
    const here = open.http;
    expect((await h1(open, { host: here, origin: "http://evil.example" })).status).toBe(403);
    expect(JSON.parse((await h1(open, { host: here, origin: "null" })).body).code).toBe("permission_denied");
    expect((await h1(open, { host: here, origin: ALLOWED })).status).toBe(200);
  });

  it("local clients by any loopback name and port are served", async () => {
    for (const host of [open.http, `localhost:${port(open)}`, `LOCALHOST:${port(open)}`, `[::1]:${port(open)}`, `127.0.0.2:${port(open)}`]) {
      expect([host, (await h1(open, { host })).status]).toEqual([host, 200]);
    }
    expect(await grpc(open, `localhost:${port(open)}`)).toEqual({ status: "0", reason: undefined });
  });

  it("other paths and preflights from a foreign name or origin get a plain 403 saying why", async () => {
    const why = "forbidden: no credentials are configured: only local clients may call, and this request is";
    expect(await h1(open, { host: `attacker.example:${port(open)}` }, "/", "GET")).toEqual({ status: 403, body: `${why} addressed to a name that is not loopback\n` });
    expect(await h1(open, { host: open.http, origin: "http://evil.example", "access-control-request-method": "POST" }, HEALTH, "OPTIONS"))
      .toEqual({ status: 403, body: `${why} from an origin not in server.cors_origins\n` });
    expect(await h1(open, { host: `attacker@127.0.0.1:${port(open)}` })).toEqual({ status: 403, body: `${why} addressed to no plain host[:port]\n` });
  });

  it("with credentials configured the token decides, not the Host", async () => {
    const a = await h1(authed, { host: `attacker.example:${port(authed)}`, authorization: "Bearer ops-token-0123456789abcdef" });
    expect(a.status).toBe(200);
  });
});
