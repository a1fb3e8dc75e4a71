// server.cors_origins entries are compared byte for byte with a browser's Origin header: one written
// otherwise (a trailing slash, upper case, no scheme, a wildcard, a default port) matched nothing,
// silently. Such an entry now stops the server at load (exit 2) naming it and the spelling that matches.
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { exitAtStart } from "../helpers/config-exit.ts";

const load = (...origins: string[]) => loadConfig({ argv: ["--set", `server.cors_origins=${origins.join(",")}`], env: {} }).config.server.corsOrigins;

describe("server.cors_origins spellings", () => {
  it("accepts serialized origins (any port, IPv6, IDN as punycode) and no entries", () => {
    const ok = ["https://app.example.com", "http://localhost:3000", "http://[::1]:8080", "https://xn--bcher-kva.example"];
    expect(load(...ok)).toEqual(ok);
    expect(loadConfig({ argv: [], env: {} }).config.server.corsOrigins).toEqual([]);
  });

  it.each([
    ["https://app.example.com/", 'is written "https://app.example.com" in an Origin header'],
    ["HTTPS://App.Example.com", 'is written "https://app.example.com"'],
    ["https://app.example.com:443", 'is written "https://app.example.com"'],
    ["https://app.example.com/path", 'is written "https://app.example.com"'],
    ["https://bücher.example", 'is written "https://xn--bcher-kva.example"'],
    ["app.example.com", "is not an origin: scheme://host[:port]"],
    ["app.example.com:8080", "is not an origin"],
    ["ftp://files.example.com", "is not an origin"],
    ["https://*.example.com", "wildcards are not supported"],
  ])("refuses %j, naming the entry and why", (entry, why) => {
    expect(() => load("https://ok.example.com", entry)).toThrowError(
      expect.objectContaining({ key: "server.cors_origins[1]", message: expect.stringContaining(`config: server.cors_origins[1]: ${JSON.stringify(entry)}`) }),
    );
    expect(() => load("https://ok.example.com", entry)).toThrowError(expect.objectContaining({ message: expect.stringContaining(why) }));
  });

  it("a misspelt origin stops the server: exit 2, one line naming the entry", async () => {
    const { code, stderr } = await exitAtStart(["--set", "server.cors_origins=https://app.example.com/"]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toBe('scriptengine: config: server.cors_origins[0]: "https://app.example.com/" is written "https://app.example.com" in an Origin header (lower case, no path or trailing slash, no default port), the only spelling it is compared with');
  });
});
