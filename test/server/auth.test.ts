// Callers authenticate with bearer tokens (or x-api-key) on both doors; admin RPCs need the
// admin permission; health and reflection stay public for probes and grpcurl.
import { describe, expect, it } from "vitest";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { firstEventDuring } from "../helpers/events.ts";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { createGrpcJsTransport } from "../helpers/grpc-js-transport.ts";
import * as grpc from "@grpc/grpc-js";

const ADMIN = "admin-token-0123456789abcdef";
const READER = "reader-token-0123456789abcdef";
const TOML = `
[[auth.principals]]
name = "ops"
token = "${ADMIN}"
max_security_level = "development"
permissions = ["admin"]

[[auth.principals]]
name = "reader"
token_env = "READER_TOKEN"
max_security_level = "safe"
permissions = []
`;

const server = serverForTests({ toml: TOML, env: { READER_TOKEN: READER } }, { checkExit: false });

const clients = (token?: string) => {
  const header = token ? { authorization: `Bearer ${token}` } : undefined;
  const interceptors = header
    ? [(next: (r: { header: Headers }) => unknown) => (req: { header: Headers }) => {
        req.header.set("authorization", header.authorization);
        return next(req);
      }]
    : [];
  return {
    grpc: createClient(ScriptService, createGrpcJsTransport(server.grpc)),
    connect: createClient(ScriptService, createConnectTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1", interceptors: interceptors as never })),
    header,
  };
};

async function codeOf(p: Promise<unknown>): Promise<[string, string | undefined]> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ConnectError)) return ["OK", undefined];
  return [Code[err.code], err.findDetails(ErrorInfoSchema)[0]?.reason];
}

describe("authentication", () => {
  it("refuses a call without credentials with UNAUTHENTICATED on both doors", async () => {
    const c = clients();
    expect(await codeOf(c.grpc.healthCheck({}))).toEqual(["Unauthenticated", "UNAUTHENTICATED"]);
    expect(await codeOf(c.connect.healthCheck({}))).toEqual(["Unauthenticated", "UNAUTHENTICATED"]);
  });

  it("authenticates before it reads the request: a caller without credentials learns nothing of its body", async () => {
    const bad = Buffer.from([0x0a, 100, 0x61]); // a string field declared 100 bytes long, 1 present
    const path = "/scriptengine.v1.ScriptService/ExecuteScript";
    // HTTP door, Connect: refused before the body is read or parsed.
    const connect = await fetch(`http://${server.http}${path}`, { method: "POST", headers: { "content-type": "application/proto" }, body: bad });
    expect([connect.status, ((await connect.json()) as { code: string }).code]).toEqual([401, "unauthenticated"]);
    // Both doors, gRPC: UNAUTHENTICATED, not INVALID_ARGUMENT.
    for (const address of [server.grpc, server.http]) {
      const client = new grpc.Client(address, grpc.credentials.createInsecure());
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bad, new grpc.Metadata(), {}, () => {});
        call.on("status", resolve);
      });
      client.close();
      expect(grpc.status[status.code], address).toBe("UNAUTHENTICATED");
    }
    // With credentials, the same body is the caller's INVALID_ARGUMENT.
    const md = new grpc.Metadata();
    md.set("authorization", `Bearer ${READER}`);
    const client = new grpc.Client(server.grpc, grpc.credentials.createInsecure());
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const call = client.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, bad, md, {}, () => {});
      call.on("status", resolve);
    });
    client.close();
    expect(grpc.status[status.code]).toBe("INVALID_ARGUMENT");
  });

  it("refuses a wrong token", async () => {
    const c = clients();
    expect(await codeOf(c.grpc.healthCheck({}, { headers: { authorization: "Bearer not-the-right-token-at-all" } }))).toEqual([
      "Unauthenticated",
      "UNAUTHENTICATED",
    ]);
  });

  it("accepts a bearer token or an x-api-key on both doors", async () => {
    const c = clients();
    expect(await codeOf(c.grpc.healthCheck({}, { headers: { authorization: `Bearer ${READER}` } }))).toEqual(["OK", undefined]);
    expect(await codeOf(c.connect.healthCheck({}, { headers: { "x-api-key": READER } }))).toEqual(["OK", undefined]);
  });

  it("keeps health and reflection public", async () => {
    expect((await clientFor(Health, "grpc-js", server).check({ service: "" })).status).toBe(1);
    expect((await clientFor(Health, "connect", server).check({ service: "" })).status).toBe(1);
  });

  it("Stop and Start need the admin permission", async () => {
    const c = clients();
    const reader = { headers: { authorization: `Bearer ${READER}` } };
    const admin = { headers: { authorization: `Bearer ${ADMIN}` } };
    expect(await codeOf(c.grpc.stop({}, reader))).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    expect(await codeOf(c.connect.stop({}, reader))).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    const stopped = await c.grpc.stop({ reason: "maintenance" }, admin);
    expect(stopped.health?.status).toBe(6);
    expect(stopped.health?.message).toBe("maintenance");
    expect((await clientFor(Health, "grpc-js", server).check({ service: "" })).status).toBe(2);
    expect(await codeOf(c.connect.start({}, reader))).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    const started = await c.connect.start({}, admin);
    expect(started.health?.status).toBe(1);
    expect((await clientFor(Health, "grpc-js", server).check({ service: "" })).status).toBe(1);
  });

  it("changing the registry needs registry:write; discovering does not", async () => {
    const registry = createClient(RegistryService, createGrpcJsTransport(server.grpc));
    const reader = { headers: { authorization: `Bearer ${READER}` } };
    const service = { serviceId: "x-1", serviceType: "X", endpoint: "127.0.0.1:1" };
    expect(await codeOf(registry.registerService({ service }, reader))).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    expect(await codeOf(registry.deregisterService({ serviceId: "x-1" }, reader))).toEqual(["PermissionDenied", "SECURITY_VIOLATION"]);
    expect(await codeOf(registry.discoverServices({ serviceType: "X" }, reader))).toEqual(["OK", undefined]);
    const admin = { headers: { authorization: `Bearer ${ADMIN}` } };
    expect(await codeOf(registry.registerService({ service }, admin))).toEqual(["OK", undefined]);
  });

  it("a refused credential is announced as a SecurityViolation event", async () => {
    // The permission_denied refusals of the tests before are announced coalesced, up to a second later.
    const event = await firstEventDuring(server, "security_violation", { authorization: `Bearer ${ADMIN}` }, () =>
      codeOf(clients().grpc.healthCheck({}, { headers: { authorization: "Bearer wrong-token-wrong-token" } })),
      10_000, (e) => e.event.case === "securityViolation" && e.event.value.kind !== "permission_denied",
    );
    expect(event.event.case).toBe("securityViolation");
    const v = event.event.value as { kind: string; detail: string };
    expect(`${v.kind} ${v.detail}`).toBe("unauthenticated scriptengine.v1.ScriptService/HealthCheck: invalid credentials");
    expect(v.detail).not.toContain("wrong-token");
  });

  it("never logs a token", () => {
    expect(server.logs()).not.toContain(ADMIN);
    expect(server.logs()).not.toContain(READER);
  });
});
