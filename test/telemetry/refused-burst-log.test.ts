// A burst of refused credentials that stops within the log's window: the first refusal is a warn
// line at once, and the rest are told when the window ends, counted. Before, they were told only by
// the next refusal after the window, so a burst that stopped looked like a single refused call.
// The window is a minute; the test-only SE_TEST_LOG_WINDOW_MS makes it seconds here, so the test
// waits for the window's end, not a minute. However the refusals fall into windows on a slow
// machine, the lines' counts add up to every refusal.
import { expect, it } from "vitest";
import { createScriptEngineClient, UnauthenticatedError } from "../../clients/ts/src/index.ts";
import { TEST_LOG_WINDOW_ENV } from "../../src/log-throttle.ts";
import { startServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const TOKEN = "the-right-token-0123456789";

it("refusals dropped from the log within its window are told, counted, when it ends", async () => {
  const server = await startServer({
    toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\n`,
    args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false"],
    env: { [TEST_LOG_WINDOW_ENV]: "3000" },
  });
  const intruder = createScriptEngineClient({ address: server.grpc, token: "a-wrong-token-0123456789", retry: false });
  const refusals = () => server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "calls refused for missing or invalid credentials");
  const told = () => refusals().reduce((n, l) => n + Number(l.refused), 0);
  try {
    await expect(intruder.health()).rejects.toBeInstanceOf(UnauthenticatedError);
    await until("the first refusal is logged", () => refusals().length === 1);
    for (let i = 0; i < 5; i++) await expect(intruder.health()).rejects.toBeInstanceOf(UnauthenticatedError);
    // Nothing refused after these: the last ones are told only by their window's end.
    await until("every refusal is told", () => told() === 6, { timeoutMs: 60_000, intervalMs: 250, seen: () => refusals() });
    expect(refusals()[0]).toMatchObject({ level: "warn", refused: 1, similar_dropped: 0 });
    expect(refusals().slice(1).every((l) => l.level === "warn" && Number(l.refused) >= 1)).toBe(true);
    expect(server.logs()).not.toContain("a-wrong-token");
  } finally {
    intruder.close();
    expect(await server.stop()).toBe(0);
  }
}, 120_000);
