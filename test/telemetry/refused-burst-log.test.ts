// A burst of refused credentials that stops within the log's minute: the first refusal is a warn
// line at once, and the rest are told when the minute ends, counted. Before, they were told only by
// the next refusal after the minute, so a burst that stopped looked like a single refused call.
import { expect, it } from "vitest";
import { createScriptEngineClient, UnauthenticatedError } from "../../clients/ts/src/index.ts";
import { startServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const TOKEN = "the-right-token-0123456789";

it("refusals dropped from the log within a minute are told, counted, when it ends", async () => {
  const server = await startServer({
    toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\n`,
    args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false"],
  });
  const intruder = createScriptEngineClient({ address: server.grpc, token: "a-wrong-token-0123456789", retry: false });
  const refusals = () => server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "calls refused for missing or invalid credentials");
  try {
    await expect(intruder.health()).rejects.toBeInstanceOf(UnauthenticatedError);
    await until("the first refusal is logged", () => refusals().length === 1);
    for (let i = 0; i < 5; i++) await expect(intruder.health()).rejects.toBeInstanceOf(UnauthenticatedError);
    const told = await until("the minute ends and the rest are told", () => refusals()[1], { timeoutMs: 90_000, intervalMs: 500 });
    expect(refusals()[0]).toMatchObject({ level: "warn", refused: 1, similar_dropped: 0 });
    expect(told).toMatchObject({ level: "warn", refused: 5, similar_dropped: expect.any(Number) });
    expect(server.logs()).not.toContain("a-wrong-token");
  } finally {
    intruder.close();
    expect(await server.stop()).toBe(0);
  }
}, 120_000);
