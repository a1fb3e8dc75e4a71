// The two doors serve one implementation: the same answer on every protocol, the same errors
// with the same details, health and reflection for operators, and the request size cap.
import { describe, expect, it } from "vitest";
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as http2 from "node:http2";
import { guard } from "../../src/doors/guard.ts";
import { Authenticator } from "../../src/auth/principal.ts";
import { createLogger } from "../../src/log.ts";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { ScriptEngineConfigSchema } from "../../gen/ts/scriptengine/v1/config_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServerReflection } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { fromBinary } from "@bufbuild/protobuf";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { PROTOCOLS, clientFor, transportFor } from "../helpers/clients.ts";

const server = serverForTests({ args: ["--set", "server.max_request_bytes=4096", "--set", "max_cache_size=77"] });

async function expectError(promise: Promise<unknown>, code: Code, reason: string) {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  const ce = err as ConnectError;
  expect(Code[ce.code]).toBe(Code[code]);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  expect(info?.reason).toBe(reason);
  expect(info?.domain).toBe("scriptengine.v1");
  return ce;
}

describe("one implementation, every protocol", () => {
  it("GetConfig answers the same on grpc-js, Connect (binary and JSON), gRPC-Web and connect-node gRPC", async () => {
    const answers = await Promise.all(
      PROTOCOLS.map(async (p) => toJson(ScriptEngineConfigSchema, (await clientFor(ScriptService, p, server).getConfig({})).config!)),
    );
    expect((answers[0] as { maxCacheSize: string }).maxCacheSize).toBe("77");
    for (const a of answers) expect(a).toEqual(answers[0]);
  });

  it.each(PROTOCOLS)("HealthCheck reports HEALTHY over %s", async (p) => {
    const res = await clientFor(ScriptService, p, server).healthCheck({});
    expect(res.health?.status).toBe(1);
    expect(res.health?.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each(PROTOCOLS)("an error carries the same code and ErrorInfo over %s", async (p) => {
    const f = await expectError(clientFor(ScriptService, p, server).getScript({ scriptId: "missing" }), Code.NotFound, "SCRIPT_NOT_FOUND");
    expect(f.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ script_id: "missing" });
  });

  it.each(["grpc", "http"] as const)("a stream whose deadline passes on the server ends DEADLINE_EXCEEDED, never OK (%s door)", async (door) => {
    // A raw HTTP/2 client that sends grpc-timeout but enforces nothing itself: the server decides.
    const session = http2.connect(`http://${door === "grpc" ? server.grpc : server.http}`);
    try {
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const req = session.request({
          ":method": "POST",
          ":path": "/grpc.health.v1.Health/Watch",
          "content-type": "application/grpc",
          te: "trailers",
          "grpc-timeout": "300m",
        });
        req.on("trailers", resolve);
        req.on("response", (h) => h["grpc-status"] !== undefined && resolve(h)); // trailers-only response
        req.on("data", () => {});
        req.on("error", reject);
        req.end(Buffer.from([0, 0, 0, 0, 0]));
      });
      expect(trailers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
    } finally {
      session.close();
    }
  });

  it("a malformed request message is INVALID_ARGUMENT on the gRPC door, and the server carries on", async () => {
    // Field 1 (script_id) declared as a 100-byte string with 3 bytes present, then a Value nested past protobuf-es' depth limit.
    let value = Buffer.from([0x08, 0x00]);
    for (let i = 0; i < 200; i++) {
      const list = Buffer.concat([Buffer.from([0x0a, ...varint(value.length)]), value]);
      value = Buffer.concat([Buffer.from([0x32, ...varint(list.length)]), list]);
    }
    const entry = Buffer.concat([Buffer.from([0x0a, 0x01, 0x78, 0x12, ...varint(value.length)]), value]);
    const context = Buffer.concat([Buffer.from([0x1a, ...varint(entry.length)]), entry]);
    const deep = Buffer.concat([Buffer.from([0x12, ...varint(context.length)]), context]);
    for (const body of [Buffer.from([0x0a, 100, 0x61, 0x62, 0x63]), deep]) {
      const client = new grpc.Client(server.grpc, grpc.credentials.createInsecure());
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = client.makeUnaryRequest("/scriptengine.v1.ScriptService/ExecuteScript", (b: Buffer) => b, (b: Buffer) => b, body, new grpc.Metadata(), {}, () => {});
        call.on("status", resolve);
      });
      client.close();
      expect(grpc.status[status.code]).toBe("INVALID_ARGUMENT");
      expect(status.details).toMatch(/not a valid scriptengine\.v1\.ExecuteScriptRequest/);
    }
    expect((await clientFor(ScriptService, "grpc-js", server).healthCheck({})).health?.status).toBe(1);
  });

  it("a malformed request message is INVALID_ARGUMENT on the HTTP door too, on every protocol", async () => {
    const bad = Buffer.from([0x0a, 100, 0x61, 0x62, 0x63]); // a 100-byte string with 3 bytes present
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, bad.length]), bad]);
    const path = "/scriptengine.v1.ScriptService/ExecuteScript";
    // Connect unary: HTTP 400 and the error as JSON.
    const unary = await fetch(`http://${server.http}${path}`, { method: "POST", headers: { "content-type": "application/proto" }, body: bad });
    expect(unary.status).toBe(400);
    const body = (await unary.json()) as { code: string; message: string; details?: { type: string }[] };
    expect(body.code).toBe("invalid_argument");
    expect(body.message).toMatch(/not a valid scriptengine\.v1\.ExecuteScriptRequest/);
    expect(body.details?.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
    // Connect JSON that does not parse was INVALID_ARGUMENT already; now with ErrorInfo too.
    const json = await fetch(`http://${server.http}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"scriptId": [5]}' });
    expect(json.status).toBe(400);
    const jsonBody = (await json.json()) as { code: string; message: string; details?: { type: string }[] };
    expect(jsonBody.message).toMatch(/not a valid scriptengine\.v1\.ExecuteScriptRequest: .*script_id/);
    expect(jsonBody.details?.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
    // gRPC-Web: the status is in the trailer frame.
    const web = await fetch(`http://${server.http}${path}`, { method: "POST", headers: { "content-type": "application/grpc-web+proto" }, body: envelope });
    const frames = Buffer.from(await web.arrayBuffer());
    expect(frames.subarray(5).toString()).toMatch(/grpc-status: ?3\b/);
    // gRPC on the HTTP door, unary and server-streaming.
    for (const [method, stream] of [[path, false], ["/scriptengine.v1.EventService/Subscribe", true]] as const) {
      const client = new grpc.Client(server.http, grpc.credentials.createInsecure());
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        const call = stream
          ? client.makeServerStreamRequest(method, (b: Buffer) => b, (b: Buffer) => b, bad, new grpc.Metadata(), {})
          : client.makeUnaryRequest(method, (b: Buffer) => b, (b: Buffer) => b, bad, new grpc.Metadata(), {}, () => {});
        if (stream) (call as grpc.ClientReadableStream<Buffer>).on("data", () => {}).on("error", () => {});
        call.on("status", resolve);
      });
      client.close();
      expect(grpc.status[status.code], method).toBe("INVALID_ARGUMENT");
      expect(status.details).toMatch(/not a valid scriptengine\.v1\.\w+Request/);
    }
    expect((await clientFor(ScriptService, "connect", server).healthCheck({})).health?.status).toBe(1);
  });

  it.each(["grpc", "http"] as const)("the %s door bounds the HTTP/2 streams one connection may have open", async (door) => {
    const session = http2.connect(`http://${door === "grpc" ? server.grpc : server.http}`);
    try {
      const settings = await new Promise<http2.Settings>((resolve) => session.once("remoteSettings", resolve));
      expect(settings.maxConcurrentStreams).toBe(256);
    } finally {
      session.close();
    }
  });

  it("a method without an implementation answers UNIMPLEMENTED with ErrorInfo (never a fake success)", async () => {
    const log = createLogger("silent");
    const transport = createRouterTransport(({ service }) => {
      service(MigrationService, guard(MigrationService, {}, { authenticator: new Authenticator([]), log }));
    });
    await expectError(createClient(MigrationService, transport).getMigrationStatus({}), Code.Unimplemented, "NOT_IMPLEMENTED");
  });

  it.each(["grpc-js", "connect", "grpc-web"] as const)("a request over the size cap is RESOURCE_EXHAUSTED over %s", async (p) => {
    const source = "x".repeat(8192);
    const err = await clientFor(ScriptService, p, server).compileScript({ source }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(Code[(err as ConnectError).code]).toBe(Code[Code.ResourceExhausted]);
    // The server is unharmed: a small request still works.
    expect((await clientFor(ScriptService, p, server).healthCheck({})).health?.status).toBe(1);
  });

  it("honours the client's deadline on a stream (grpc-js and Connect)", async () => {
    for (const p of ["grpc-js", "connect"] as const) {
      const health = clientFor(Health, p, server);
      const seen: Serving[] = [];
      const err = await (async () => {
        for await (const res of health.watch({ service: "" }, { timeoutMs: 1500 })) seen.push(res.status);
      })().catch((e: unknown) => e);
      expect(seen).toEqual([Serving.SERVING]);
      expect(Code[(err as ConnectError).code]).toBe(Code[Code.DeadlineExceeded]);
    }
  });
});

describe("standard health service", () => {
  it.each(["grpc-js", "connect"] as const)("Check answers for the server and each service over %s", async (p) => {
    const health = clientFor(Health, p, server);
    expect((await health.check({ service: "" })).status).toBe(Serving.SERVING);
    expect((await health.check({ service: "scriptengine.v1.ScriptService" })).status).toBe(Serving.SERVING);
    await expect(health.check({ service: "no.such.Service" })).rejects.toMatchObject({ code: Code.NotFound });
  });
});

describe("server reflection", () => {
  async function ask(service: typeof ServerReflection | typeof ServerReflectionAlpha, request: object) {
    const client = createClient(service as typeof ServerReflection, transportFor("grpc-js", server));
    async function* one() {
      yield request;
    }
    for await (const res of client.serverReflectionInfo(one() as never)) return res;
    throw new Error("no answer");
  }

  it.each([
    ["v1", ServerReflection],
    ["v1alpha", ServerReflectionAlpha],
  ] as const)("%s lists every service", async (_name, svc) => {
    const res = await ask(svc, { messageRequest: { case: "listServices", value: "" } });
    expect(res.messageResponse.case).toBe("listServicesResponse");
    const names = (res.messageResponse.value as { service: { name: string }[] }).service.map((s) => s.name).sort();
    expect(names).toEqual([
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
      "scriptengine.v1.EventService",
      "scriptengine.v1.MigrationService",
      "scriptengine.v1.RegistryService",
      "scriptengine.v1.ScriptService",
      "scriptengine.v1.ToolService",
    ]);
  });

  it("describes a method's file with its dependencies, and says NOT_FOUND for unknown symbols", async () => {
    const res = await ask(ServerReflection, { messageRequest: { case: "fileContainingSymbol", value: "scriptengine.v1.ScriptService.ExecuteScript" } });
    expect(res.messageResponse.case).toBe("fileDescriptorResponse");
    const files = (res.messageResponse.value as { fileDescriptorProto: Uint8Array[] }).fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
    expect(files).toContain("scriptengine/v1/script_service.proto");
    expect(files).toContain("scriptengine/v1/script.proto");
    expect(files).toContain("google/protobuf/struct.proto");
    const missing = await ask(ServerReflection, { messageRequest: { case: "fileContainingSymbol", value: "nope.Nothing" } });
    expect(missing.messageResponse.case).toBe("errorResponse");
    expect((missing.messageResponse.value as { errorCode: number }).errorCode).toBe(Code.NotFound);
    const rpcErrors = await ask(ServerReflection, { messageRequest: { case: "fileContainingSymbol", value: "google.rpc.ErrorInfo" } });
    expect(rpcErrors.messageResponse.case).toBe("fileDescriptorResponse");
  });
});

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 127) {
    out.push((n & 127) | 128);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
