// Registration ownership through the real server: the principal that registered a service_id
// (or one holding admin) may update or deregister it; the engine's own service_id is reserved
// for the engine; ownership survives a restart; a registration stored before owners were
// recorded belongs to nobody (only admin may change it; its lease still renews).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { create, toJsonString } from "@bufbuild/protobuf";
import { ServiceInfoSchema } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { failure } from "../helpers/errors.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";

const TOML =
  `[discovery]\nservice_id = "engine-under-test"\n` +
  principalsToml(
    { name: "alice", permissions: ["registry:write"] },
    { name: "bob", permissions: ["registry:write"] },
    { name: "root", permissions: ["admin"] },
    { name: "reader" },
  );

const running: TestServer[] = [];
async function start(dataDir?: string): Promise<TestServer> {
  const s = await startServer({ toml: TOML, dataDir });
  running.push(s);
  return s;
}
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop();
});

const denied = async (p: Promise<unknown>) => {
  const f = await failure(p);
  return [f.code, f.reason];
};
const DENIED = ["PermissionDenied", "SECURITY_VIOLATION"];
const endpointsOf = async (server: TestServer, type: string) =>
  (await registryAs(server, tokenOf("reader")).discoverServices({ serviceType: type })).services.map((s) => s.service!.endpoint);

describe("registration ownership", () => {
  it("only the owner or an admin may update, deregister or renew", async () => {
    const server = await start();
    const alice = registryAs(server, tokenOf("alice"));
    const bob = registryAs(server, tokenOf("bob"), "grpc-over-http");
    const root = registryAs(server, tokenOf("root"));
    const { lease } = await alice.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "alice.example:1" } });

    expect(await denied(bob.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "evil.example:1" } }))).toEqual(DENIED);
    expect(await denied(bob.deregisterService({ serviceId: "alice-svc" }))).toEqual(DENIED);
    expect(await endpointsOf(server, "t")).toEqual(["alice.example:1"]);
    await alice.heartbeat({ leaseId: lease!.leaseId });
    // Holding the lease id is not enough to renew it: Bob is neither the owner nor an admin.
    expect(await denied(bob.heartbeat({ leaseId: lease!.leaseId }))).toEqual(DENIED);

    await alice.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "alice.example:2" } });
    expect(await endpointsOf(server, "t")).toEqual(["alice.example:2"]);

    await root.deregisterService({ serviceId: "alice-svc" });
    // A freed id may be taken by anyone.
    await bob.registerService({ service: { serviceId: "alice-svc", serviceType: "t", endpoint: "bob.example:1" } });
    expect(await denied(alice.deregisterService({ serviceId: "alice-svc" }))).toEqual(DENIED);
  });

  it("the engine's own service_id is reserved for the engine, even against admin", async () => {
    const server = await start();
    const before = await endpointsOf(server, "ScriptEngine");
    expect(before).toEqual([server.grpc]);
    for (const token of [tokenOf("bob"), tokenOf("root")]) {
      const c = registryAs(server, token);
      expect(await denied(c.registerService({ service: { serviceId: "engine-under-test", serviceType: "ScriptEngine", endpoint: "evil.example:6666" } }))).toEqual(DENIED);
      expect(await denied(c.deregisterService({ serviceId: "engine-under-test" }))).toEqual(DENIED);
    }
    expect(await endpointsOf(server, "ScriptEngine")).toEqual(before);
  });

  it("ownership survives a restart", async () => {
    const first = await start();
    await registryAs(first, tokenOf("alice")).registerService({
      service: { serviceId: "kept", serviceType: "t", endpoint: "alice.example:1" },
      ttl: { seconds: 600n },
    });
    await first.stop();
    const second = await start(first.dataDir);
    expect(await denied(registryAs(second, tokenOf("bob")).deregisterService({ serviceId: "kept" }))).toEqual(DENIED);
    await registryAs(second, tokenOf("alice")).deregisterService({ serviceId: "kept" });
  });

  it("a registration stored before owners were recorded is changed only by admin", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "se-registry-legacy-"));
    const db = new DatabaseSync(join(dataDir, "scriptengine.db"));
    // The table as earlier versions created it: no owner column.
    db.exec(`CREATE TABLE registry_registrations (
      service_id TEXT PRIMARY KEY, service_type TEXT NOT NULL, info_json TEXT NOT NULL, lease_id TEXT NOT NULL,
      ttl_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL, registered_at_ms INTEGER NOT NULL,
      last_heartbeat_at_ms INTEGER NOT NULL)`);
    const info = create(ServiceInfoSchema, { serviceId: "legacy-svc", serviceType: "legacy", endpoint: "old.example:1" });
    const now = Date.now();
    db.prepare("INSERT INTO registry_registrations VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
      "legacy-svc", "legacy", toJsonString(ServiceInfoSchema, info), "legacy-lease", 600_000, now + 600_000, now, now,
    );
    db.close();

    const server = await start(dataDir);
    expect(await endpointsOf(server, "legacy")).toEqual(["old.example:1"]);
    const alice = registryAs(server, tokenOf("alice"));
    expect(await denied(alice.registerService({ service: { serviceId: "legacy-svc", serviceType: "legacy", endpoint: "alice.example:1" } }))).toEqual(DENIED);
    expect(await denied(alice.deregisterService({ serviceId: "legacy-svc" }))).toEqual(DENIED);
    await alice.heartbeat({ leaseId: "legacy-lease" });
    await registryAs(server, tokenOf("root")).deregisterService({ serviceId: "legacy-svc" });
    expect(await endpointsOf(server, "legacy")).toEqual([]);
  });
});
