// tools.http_allow_list entries are compared with the host a URL names; one spelt otherwise
// matched nothing, silently. Such an entry now stops the server, naming the spelling that matches.
import { expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";

const load = (entries: string[]) => {
  const file = join(mkdtempSync(join(tmpdir(), "se-allow-list-")), "config.toml");
  writeFileSync(file, `[tools]\nhttp_allow_list = ${JSON.stringify(entries)}\n`);
  return loadConfig({ argv: ["--config", file], env: {} });
};

it("takes hosts as a URL names them, in any case, and wildcards before a domain", () => {
  const entries = ["127.0.0.1", "[::1]", "API.example.com", "*.internal.example.com", "xn--bcher-kva.example"];
  expect(load(entries).config.tools.httpAllowList).toEqual(entries);
});

it("refuses an entry that could match no request, saying how a URL writes it", () => {
  const refused: [string, RegExp][] = [
    ["::1", /an IPv6 address is written in brackets, "\[::1\]"/],
    ["127.1", /is written "127\.0\.0\.1" in a URL/],
    ["bücher.example", /is written "xn--bcher-kva\.example" in a URL/],
    ["api.example.com:443", /without a port \(it admits every port of that host\)/],
    ["*", /a wildcard is "\*\." before a domain/],
    ["*.10.0.0.1", /a wildcard goes before a domain, not an address/],
    ["https://api.example.com", /is not a host name or address/],
    ["", /is not a host name or address/],
  ];
  for (const [entry, why] of refused) {
    expect(() => load(["127.0.0.1", entry]), entry).toThrowError(expect.objectContaining({ key: "tools.http_allow_list[1]", message: expect.stringMatching(why) }));
  }
});
