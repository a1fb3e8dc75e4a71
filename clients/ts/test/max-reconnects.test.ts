// maxReconnects of 0 or less means no reconnect at all (as resume: false): the first dropped stream
// ends the loop. A negative value means the same in Go (where 0 is the default, 10) and Python, so
// it is the spelling that reads alike in all three. A 10-minute backoff: a loop that would reconnect
// would sit waiting instead of ending.
import { expect, it } from "vitest";
import { createScriptEngineClient, UnavailableError } from "../src/index.ts";
import { freePort } from "./support.ts";

it.each([
  ["subscribe", 0],
  ["subscribe", -1],
  ["watch", 0],
  ["watch", -1],
] as const)("%s() with maxReconnects %d ends at the first dropped stream", async (kind, maxReconnects) => {
  // Nothing listens there: every stream fails UNAVAILABLE at once.
  const client = createScriptEngineClient({ address: `127.0.0.1:${await freePort()}`, retry: { initialBackoffMs: 600_000, maxBackoffMs: 600_000 } });
  try {
    const loop = async () => {
      for await (const _ of kind === "subscribe" ? client.subscribe({ maxReconnects }) : client.watch({ maxReconnects }));
    };
    await expect(loop()).rejects.toBeInstanceOf(UnavailableError);
  } finally {
    client.close();
  }
});
