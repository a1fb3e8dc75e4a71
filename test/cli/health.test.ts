// `scriptengine health` on a server with principals: HealthCheck needs a token, the standard
// grpc.health.v1 service does not, so without a token the command asks that one.
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli } from "./helpers.ts";

const TOKEN = "cli-health-token-0123456789";
const secured = serverForTests({ toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\nmax_security_level = "safe"\n` }, { checkExit: false });

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
});
