// `scriptengine serve` stopped by SIGTERM or one Ctrl-C drains and exits 0, the exception the
// README's exit table makes to 143 and 130.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { live } from "./helpers.ts";

it.each(["SIGTERM", "SIGINT"] as const)("serve exits 0 after a clean shutdown on %s", async (signal) => {
  const dir = mkdtempSync(join(tmpdir(), "se-serve-"));
  const p = live(["serve", "--data-dir", dir, "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--set", "pool.workers=1"]);
  await p.waitFor((out) => out.includes('"listening"'), 20_000);
  expect(await p.interrupt(signal)).toBe(0);
});
