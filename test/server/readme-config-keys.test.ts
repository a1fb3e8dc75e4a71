// The README's configuration examples are where an operator looks for the keys: each key the schema
// accepts must be there, and a value that is not the key's default must say what the default is.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { SCHEMA, type ConfigKey } from "../../src/config/schema.ts";
import { parseDuration } from "../../src/config/load.ts";

interface Shown {
  value: unknown;
  /** The key's line and the comment lines continuing it. */
  text: string;
}

function readmeKeys(): Map<string, Shown> {
  const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
  const shown = new Map<string, Shown>();
  for (const [, block] of readme.matchAll(/```toml\n([\s\S]*?)```/g)) {
    const tables = parse(block) as Record<string, unknown>;
    let table = "";
    let last: Shown | undefined;
    for (const line of block.split("\n")) {
      const header = /^\[\[?([\w.]+)\]\]?/.exec(line);
      const entry = /^(\w+)\s*=/.exec(line);
      if (header) [table, last] = [header[1], undefined];
      else if (entry) {
        const key = table ? `${table}.${entry[1]}` : entry[1];
        last = { value: key.split(".").reduce<any>((t, name) => t?.[name], tables), text: line };
        shown.set(key, last);
      } else if (last && /^\s+#/.test(line)) last.text += `\n${line}`;
      else last = undefined;
    }
  }
  return shown;
}

const isDefault = (key: ConfigKey, value: unknown) => {
  const spec = SCHEMA[key];
  const given = spec.type === "duration" && typeof value === "string" ? parseDuration(value) : value;
  return JSON.stringify(given) === JSON.stringify(spec.default);
};

describe("README configuration", () => {
  const shown = readmeKeys();

  it("shows every key the configuration accepts", () => {
    expect(Object.keys(SCHEMA).filter((key) => !shown.has(key))).toEqual([]);
  });

  it("says the default of every key it shows with another value", () => {
    const silent = (Object.keys(SCHEMA) as ConfigKey[]).filter((key) => {
      const entry = shown.get(key);
      return entry !== undefined && !isDefault(key, entry.value) && !/default/.test(entry.text);
    });
    expect(silent).toEqual([]);
  });
});
