// The engine registers a health_check_url in discovery; HTTP probes GET it and read the status
// code. It was the Connect path of grpc.health.v1.Health/Check, which answers a bare GET 405. It is
// now GET /health on the HTTP port: 200 while the engine serves, 503 once it is stopped.
import { request } from "node:http";
import { expect, it } from "vitest";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

/** A plain HTTP/1.1 request: status, body, and the headers a probe reads. */
const plain = (method: string, url: string, host?: string) =>
  new Promise<{ status: number; body: string; cache?: string; allow?: string }>((resolve, reject) => {
    const req = request(url, { method, headers: host ? { host } : {}, timeout: 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, body, cache: res.headers["cache-control"], allow: res.headers.allow }));
    });
    req.on("timeout", () => req.destroy(new Error("timed out"))).on("error", reject).end();
  });

it("the registered health_check_url answers a plain GET: 200 while serving, 503 once stopped", async () => {
  const { services } = await clientFor(RegistryService, "grpc-js", server).discoverServices({ serviceType: "ScriptEngine" });
  const url = services[0]!.service!.healthCheckUrl;
  expect(url).toBe(`http://${server.http}/health`);
  expect(await plain("GET", url)).toEqual({ status: 200, body: '{"status":"SERVING"}\n', cache: "no-store", allow: undefined });
  expect(await plain("HEAD", url)).toMatchObject({ status: 200, body: "" });
  expect(await plain("POST", url)).toMatchObject({ status: 405, allow: "GET, HEAD" });
  // No credentials are configured: like every request on this door, it must come to a loopback name.
  expect((await plain("GET", url, "example.com")).status).toBe(403);

  const scripts = clientFor(ScriptService, "grpc-js", server);
  await scripts.stop({ reason: "probe" });
  try {
    expect(await plain("GET", url)).toMatchObject({ status: 503, body: '{"status":"NOT_SERVING"}\n' });
  } finally {
    await scripts.start({});
  }
  expect((await plain("GET", url)).status).toBe(200);
}, 30_000);
