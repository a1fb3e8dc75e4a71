// `authorization: Bearer` and `x-api-key` are one credential sent two ways: a call carrying two
// different tokens in them is refused (it used to run as the Bearer's principal, whatever the
// x-api-key said), the same token in both is fine, and an authorization of another scheme is told
// so rather than "missing credentials", without quoting what it sent.
import { expect, it } from "vitest";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const ADMIN = tokenOf("ops");
const READER = tokenOf("reader");

const server = serverForTests({ toml: principalsToml({ name: "ops", level: "development", permissions: ["admin"] }, { name: "reader" }) });

const DOORS = ["grpc-js", "connect"] as const;

async function outcome(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof ConnectError)) return "OK";
  return `${Code[err.code]} ${err.findDetails(ErrorInfoSchema)[0]?.reason}: ${err.rawMessage}`;
}

const scripts = (door: (typeof DOORS)[number]): Client<typeof ScriptService> => clientFor(ScriptService, door, server);

it("refuses 'authorization: Bearer' and 'x-api-key' carrying different tokens, in either order, on both doors", async () => {
  const conflict =
    "Unauthenticated UNAUTHENTICATED: conflicting credentials: 'authorization: Bearer' and 'x-api-key' carry different tokens; send one of them";
  for (const door of DOORS) {
    const c = scripts(door);
    expect([door, await outcome(c.stop({ reason: "x" }, { headers: { authorization: `Bearer ${ADMIN}`, "x-api-key": READER } }))]).toEqual([door, conflict]);
    expect([door, await outcome(c.stop({ reason: "x" }, { headers: { authorization: `Bearer ${READER}`, "x-api-key": ADMIN } }))]).toEqual([door, conflict]);
    // An unknown token against a valid one is the same conflict: neither is tried.
    expect([door, await outcome(c.healthCheck({}, { headers: { authorization: `Bearer ${READER}`, "x-api-key": "not-a-token-0123456789" } }))]).toEqual([door, conflict]);
    const err = await c.healthCheck({}, { headers: { authorization: `Bearer ${ADMIN}`, "x-api-key": READER } }).then(() => null, (e: unknown) => ConnectError.from(e));
    expect(err?.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ headers: "authorization,x-api-key" });
  }
  // Nothing was stopped by the admin token the x-api-key contradicted.
  expect((await clientFor(Health, "grpc-js", server).check({ service: "" })).status).toBe(1);
});

it("takes the same token in both headers, and either header alone", async () => {
  for (const door of DOORS) {
    const c = scripts(door);
    expect([door, await outcome(c.healthCheck({}, { headers: { authorization: `Bearer ${READER}`, "x-api-key": READER } }))]).toEqual([door, "OK"]);
    expect([door, await outcome(c.stop({}, { headers: { authorization: `bearer  ${READER}`, "x-api-key": ` ${READER}` } }))]).toEqual([
      door,
      `PermissionDenied SECURITY_VIOLATION: principal "reader" lacks the "admin" permission`,
    ]);
    expect([door, await outcome(c.healthCheck({}, { headers: { "x-api-key": READER } }))]).toEqual([door, "OK"]);
    expect([door, await outcome(c.healthCheck({}, { headers: { authorization: `Bearer ${READER}` } }))]).toEqual([door, "OK"]);
  }
});

it("reads x-api-key beside an authorization of another scheme or an empty Bearer", async () => {
  for (const door of DOORS) {
    const c = scripts(door);
    for (const authorization of ["Basic dXNlcjpwYXNz", "Bearer"]) {
      expect([door, authorization, await outcome(c.stop({}, { headers: { authorization, "x-api-key": READER } }))]).toEqual([
        door,
        authorization,
        `PermissionDenied SECURITY_VIOLATION: principal "reader" lacks the "admin" permission`,
      ]);
    }
  }
});

it("says an authorization of another scheme is not supported, without quoting it", async () => {
  const unsupported =
    "Unauthenticated UNAUTHENTICATED: unsupported authorization scheme: only 'authorization: Bearer <token>' (or 'x-api-key: <token>') is read";
  for (const door of DOORS) {
    const c = scripts(door);
    for (const authorization of [`Token ${ADMIN}`, ADMIN, "Basic dXNlcjpwYXNz"]) {
      expect([door, authorization, await outcome(c.healthCheck({}, { headers: { authorization } }))]).toEqual([door, authorization, unsupported]);
    }
    // An empty Bearer is said to be one (a token variable left unset), not just "missing".
    expect([door, await outcome(c.healthCheck({}, { headers: { authorization: "Bearer" } }))]).toEqual([
      door,
      "Unauthenticated UNAUTHENTICATED: missing credentials: the 'authorization: Bearer' header carries no token",
    ]);
    expect([door, await outcome(c.healthCheck({}))]).toEqual([door, "Unauthenticated UNAUTHENTICATED: missing credentials: send 'authorization: Bearer <token>'"]);
  }
});
