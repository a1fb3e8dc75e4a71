// A known table given a value (`server = 5`) is said to be a table; it read "server: unknown key".
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";

const tomlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "se-table-value-")), "config.toml");
  writeFileSync(file, text);
  return file;
};

it("a table given a value in the file, or by --set, is said to be a table", () => {
  expect(() => loadConfig({ argv: ["--config", tomlFile("server = 5\n")], env: {} })).toThrow("config: server: a table, not a value: set its keys (server.<key>)");
  expect(() => loadConfig({ argv: ["--config", tomlFile("[resource_limits]\nmemory = 5\n")], env: {} })).toThrow("config: resource_limits.memory: unknown key");
  expect(() => loadConfig({ argv: ["--set", "pool=1"], env: {} })).toThrow("config: pool: a table, not a value: set its keys (pool.<key>)");
  // An unknown name is still one.
  expect(() => loadConfig({ argv: ["--config", tomlFile("servr = 5\n")], env: {} })).toThrow("config: servr: unknown key");
});
