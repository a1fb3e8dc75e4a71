// An admin who updates another principal's registration (to correct its endpoint, say) does not
// take it over: it stays its registrant's. It used to become the admin's, so the registrant's
// instance, told by NOT_FOUND that its lease was replaced, could neither register it again nor
// deregister it (PERMISSION_DENIED), nobody renewed the admin's lease, and it expired; the
// admin's own registrations_per_principal quota was charged for it as well. Since then the admin's
// update also keeps the owner's lease id (admin-update-lease.test.ts).
import { afterEach, expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { principalsToml, tokenOf } from "../helpers/principals.ts";
import { registryAs } from "./through-server.ts";

const TOML =
  `[registry]\nmax_registrations_per_principal = 1\n` +
  principalsToml({ name: "alice", permissions: ["registry:write"] }, { name: "ops", permissions: ["admin"] }, { name: "reader" });

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
});

const service = { serviceId: "al", serviceType: "t", endpoint: "wrong.example:1" };
const endpoints = async (s: TestServer) => (await registryAs(s, tokenOf("reader")).discoverServices({ serviceType: "t" })).services.map((r) => r.service?.endpoint);

it("an admin's update keeps the registration its owner's", async () => {
  server = await startServer({ toml: TOML });
  const alice = registryAs(server, tokenOf("alice"));
  const { lease } = await alice.registerService({ service });
  await registryAs(server, tokenOf("ops")).registerService({ service: { ...service, endpoint: "right.example:1" } });
  expect(await endpoints(server)).toEqual(["right.example:1"]);

  // Alice's instance keeps renewing the lease it holds (the admin's update kept it), and the
  // registration is still hers to update and remove.
  await alice.heartbeat({ leaseId: lease!.leaseId });
  const again = await alice.registerService({ service: { ...service, endpoint: "right.example:1" } });
  expect((await failure(alice.heartbeat({ leaseId: lease!.leaseId }))).reason).toBe("LEASE_NOT_FOUND");
  await alice.heartbeat({ leaseId: again.lease!.leaseId });
  await alice.deregisterService({ serviceId: "al" });
  expect(await endpoints(server)).toEqual([]);
});

it("an admin's update of another's registration is not counted against the admin's quota", async () => {
  server = await startServer({ toml: TOML });
  await registryAs(server, tokenOf("alice")).registerService({ service });
  const ops = registryAs(server, tokenOf("ops"));
  await ops.registerService({ service: { serviceId: "ops-own", serviceType: "o", endpoint: "ops.example:1" } }); // its one allowed
  await ops.registerService({ service: { ...service, endpoint: "right.example:1" } });
  expect(await endpoints(server)).toEqual(["right.example:1"]);
});
