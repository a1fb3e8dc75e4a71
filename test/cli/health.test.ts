// `scriptengine health` on a server with principals: HealthCheck needs a token, the standard
// grpc.health.v1 service does not, so without a token the command asks that one. The HealthCheck
// refused first for want of any credential is no security violation: every probe announced one.
import { describe, expect, it } from "vitest";
import { firstEventDuring } from "../helpers/events.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli } from "./helpers.ts";

const TOKEN = "cli-health-token-0123456789";
const ADMIN = "cli-health-admin-0123456789";
const secured = serverForTests({
  toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\nmax_security_level = "safe"\n\n[[auth.principals]]\nname = "root"\ntoken = "${ADMIN}"\npermissions = ["admin"]\n`,
}, { checkExit: false });

describe("health without a token", () => {
  it("without a token it asks the public grpc.health.v1 service; a wrong token is still refused", async () => {
    const h = await cli(["--address", secured.grpc, "health"]);
    expect([h.code, h.stdout]).toEqual([0, "status  SERVING (grpc.health.v1: a token shows the engine's health and components)\n"]);
    const j = await cli(["--transport", "connect", "--address", secured.http, "--json", "health"]);
    expect([j.code, JSON.parse(j.stdout)]).toEqual([0, { status: "SERVING" }]);
    const full = await cli(["--address", secured.grpc, "--token", TOKEN, "--json", "health"]);
    expect(JSON.parse(full.stdout).status).toBe("SERVICE_STATUS_HEALTHY");
    const wrong = await cli(["--address", secured.grpc, "--token", "not-the-token-0123456789", "health"]);
    expect(wrong.code).toBe(5);
  });

  it("is no security violation: the first one seen is the wrong token's, alone", async () => {
    const outputs: string[] = [];
    const e = await firstEventDuring(secured, "security_violation", { authorization: `Bearer ${ADMIN}` }, async () => {
      for (const args of [["--address", secured.grpc, "health"], ["--transport", "connect", "--address", secured.http, "--json", "health"]]) {
        const r = await cli(args);
        outputs.push(`${r.code} ${r.stdout}${r.stderr}`);
      }
      // Refusals within a second of one another are one event counting them: a tokenless probe's
      // would be this one's count (or an event before it).
      expect((await cli(["--address", secured.grpc, "--token", "not-the-token-0123456789", "health"])).code).toBe(5);
    });
    expect(outputs).toEqual(["0 status  SERVING (grpc.health.v1: a token shows the engine's health and components)\n", '0 {\n  "status": "SERVING"\n}\n']);
    expect(e.event.case).toBe("securityViolation");
    if (e.event.case !== "securityViolation") return;
    expect([e.event.value.kind, e.event.value.count]).toEqual(["unauthenticated", 1]);
    expect(e.event.value.detail).not.toMatch(/missing credentials/);
  });
});
