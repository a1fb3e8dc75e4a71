// SE_TLS: the truthy spellings turn TLS on, the falsy ones leave it off, anything else is refused
// (SE_TLS=TRUE or =1 used to mean plaintext, silently).
import { describe, expect, it } from "vitest";
import { resolveConnection } from "../../src/cli/connection.ts";
import { CliError, EXIT } from "../../src/cli/exit.ts";

describe("SE_TLS", () => {
  it.each(["1", "true", "TRUE", "Yes", " yes "])("%j turns TLS on", (v) => {
    expect(resolveConnection({}, { SE_TLS: v }).tls).toBe(true);
  });
  it.each(["", "0", "false", "No"])("%j leaves it off", (v) => {
    expect(resolveConnection({}, { SE_TLS: v }).tls).toBeUndefined();
  });
  it("another value is a usage error", () => {
    expect(() => resolveConnection({}, { SE_TLS: "on please" })).toThrow(CliError);
    try {
      resolveConnection({}, { SE_TLS: "maybe" });
    } catch (e) {
      expect([(e as CliError).exitCode, (e as CliError).message]).toEqual([EXIT.USAGE, 'SE_TLS must be 1, true or yes (or 0, false, no), got "maybe"']);
    }
  });
});
