// A Stop reason is kept to 512 characters (code points) in the status: a longer one is cut whole
// characters at a time (never half an emoji, a lone surrogate), saying how much went as events do,
// so the HealthCheck answer stays JSON a strict parser (jq) takes.
import { describe, expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";

const emoji = "\u{1F600}";

async function call(http: string, method: string, body: unknown): Promise<string> {
  const res = await fetch(`http://${http}/scriptengine.v1.ScriptService/${method}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.text();
}

/** The status message of a HealthCheck answer, read from its text as strictly as jq would. */
async function healthMessage(http: string): Promise<string> {
  const text = await call(http, "HealthCheck", {});
  expect(text).not.toMatch(/\\u[dD][89a-fA-F]/); // no surrogate escape, paired or lone: UTF-8 carries them
  const message = (JSON.parse(text) as { health: { message: string } }).health.message;
  expect(message.isWellFormed()).toBe(true);
  return message;
}

describe("Stop reason", () => {
  it("is cut by characters with a marker, never leaving half an emoji", async () => {
    const server = await startServer({ toml: "[discovery]\nenabled = false\n" });
    try {
      // The 512th character an emoji: a cut by UTF-16 units kept only its first half.
      await call(server.http, "Stop", { reason: "a".repeat(511) + emoji + "b".repeat(10) });
      expect(await healthMessage(server.http)).toBe(`${"a".repeat(511)}${emoji}… [10 more characters cut]`);

      await call(server.http, "Start", {});
      await call(server.http, "Stop", { reason: emoji.repeat(512) });
      expect(await healthMessage(server.http)).toBe(emoji.repeat(512));
    } finally {
      await server.stop();
    }
  }, 30_000);
});
