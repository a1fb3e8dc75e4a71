// metrics --watch says it is retrying in the same one-line form as every other error ("cannot
// reach ADDR"), without grpc-js's empty "Resolution note:" that its own line kept.
import { expect, it } from "vitest";
import { cli } from "./helpers.ts";

it("the retry line names the address and ends cleanly", async () => {
  // Nothing listens on port 1; a short window ends the view with exit 3 after its first retries.
  const r = await cli(["-a", "127.0.0.1:1", "metrics", "--watch", "100ms"], { env: { SE_WATCH_RETRY_MS: "300" } });
  expect(r.code).toBe(3);
  const [retrying, last] = r.stderr.trimEnd().split("\n");
  expect(retrying).toMatch(/^scriptengine: UNAVAILABLE: cannot reach 127\.0\.0\.1:1: \S.*[^.]; retrying$/);
  expect(r.stderr).not.toMatch(/Resolution note/);
  expect(last).toMatch(/^scriptengine: UNAVAILABLE: cannot reach 127\.0\.0\.1:1: /);
});
