// A token holding a character a header cannot carry (a pasted non-breaking space, a control
// character) made grpc-js fail with exit 10 and an error quoting the whole token; the HTTP
// transports sent no credential or another one. It is a usage error now that never shows the token.
import { describe, expect, it } from "vitest";
import { cli, refusal } from "./helpers.ts";

const TOKEN = "ops-token-0123456789abcdef";

describe("a token a header cannot carry", () => {
  it("is refused naming the offset and the character, from the flag or SE_TOKEN", () => {
    const line = `--token (SE_TOKEN) holds a character a header cannot carry at offset ${TOKEN.length} (U+00A0): a token is visible ASCII`;
    expect(refusal({ token: `${TOKEN}\u00a0` })).toEqual([2, line]);
    expect(refusal({}, { SE_TOKEN: `${TOKEN}\u00a0` })).toEqual([2, line]);
    expect(refusal({ token: `ops token` })).toEqual([2, expect.stringContaining("at offset 3 (U+0020)")]);
    expect(refusal({ token: `${TOKEN}\x01` })).toEqual([2, expect.stringContaining("(U+0001)")]);
    expect(refusal({ token: `\u{1f511}${TOKEN}` })).toEqual([2, expect.stringContaining("at offset 0 (U+1F511)")]);
    expect(refusal({ token: TOKEN })).toBe("accepted");
    expect(refusal({}, { SE_TOKEN: "" })).toBe("accepted"); // empty: no token
  });

  it.each(["grpc-js", "connect", "grpc-http2"])("on %s: exit 2 before connecting, the token not printed", async (transport) => {
    const address = transport === "grpc-js" ? "127.0.0.1:1" : "http://127.0.0.1:1";
    const r = await cli(["-a", address, "--transport", transport, "health"], { env: { SE_TOKEN: `${TOKEN}\u00a0` } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scriptengine: --token \(SE_TOKEN\) holds a character a header cannot carry at offset 26 \(U\+00A0\)/);
    expect(r.stderr).not.toContain("0123456789abcdef");
  });
});
