// Connect JSON on the HTTP door: a misspelt key or enum name is refused (INVALID_ARGUMENT
// VALIDATION_ERROR with ErrorInfo and BadRequest), as proto3 JSON parsers do by default, rather
// than silently dropped (a dropped filter returned every migration, a dropped level ran at safe).
import { describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests();

interface ErrorBody { code: string; message: string; details?: { type: string; debug?: { reason?: string } }[] }

const post = async (path: string, body: string) => {
  const res = await fetch(`http://${server.http}/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
  return { status: res.status, body: (await res.json()) as ErrorBody & Record<string, unknown> };
};

function expectRefused(a: { status: number; body: ErrorBody }, names: string): void {
  expect([a.status, a.body.code]).toEqual([400, "invalid_argument"]);
  expect(a.body.message).toContain(names);
  expect(a.body.details?.find((d) => d.type === "google.rpc.ErrorInfo")?.debug?.reason).toBe("VALIDATION_ERROR");
  expect(a.body.details?.map((d) => d.type)).toContain("google.rpc.BadRequest");
}

describe("Connect JSON with names the contract does not have", () => {
  it("an unknown enum name in a filter is refused, not taken as no filter", async () => {
    expectRefused(await post("scriptengine.v1.MigrationService/ListMigrations", '{"filter":{"statuses":["COMPLETED"]}}'), "COMPLETED");
    expectRefused(await post("scriptengine.v1.MigrationService/GetMigrationStatus", '{"securityLevel":"PRODUCTION"}'), "PRODUCTION");
    const right = await post("scriptengine.v1.MigrationService/ListMigrations", '{"filter":{"statuses":["MIGRATION_STATE_COMPLETED"]}}');
    expect(right.status).toBe(200);
  });

  it("an unknown security level name is refused, not run at safe", async () => {
    expectRefused(await post("scriptengine.v1.ScriptService/RunScript", '{"source":"1","context":{"securityContext":{"securityLevel":"PRODUCTION"}}}'), "PRODUCTION");
  });

  it("a misspelt key is refused, not ignored (POST and GET)", async () => {
    expectRefused(await post("scriptengine.v1.ScriptService/RunScript", '{"source":"1","context":{"limits":{"maxMemoryBytes":"1"}}}'), "limits");
    const get = await fetch(`http://${server.http}/scriptengine.v1.ScriptService/GetConfig?connect=v1&encoding=json&message=${encodeURIComponent('{"bogus":1}')}`);
    expectRefused({ status: get.status, body: (await get.json()) as ErrorBody }, "bogus");
  });

  it("the README's curl call and the TS clients' JSON still work", async () => {
    const curl = await post("scriptengine.v1.ScriptService/RunScript", '{"source":"40 + 2"}');
    expect(curl.status).toBe(200);
    expect((curl.body as unknown as { result: { returnValue: number } }).result.returnValue).toBe(42);
    const client = createClient(ScriptService, createConnectTransport({ baseUrl: `http://${server.http}`, httpVersion: "1.1", useBinaryFormat: false }));
    const res = await client.runScript({ source: "6 * 7", context: { securityContext: { securityLevel: 1 } } });
    expect(res.result?.returnValue?.kind).toEqual({ case: "numberValue", value: 42 });
  });
});
