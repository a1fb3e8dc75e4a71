// What a directory listing finds at the edges (findings-migration #5, #7, #9, #13): manifest
// entries that name no tool, symbolic links out of the directory asked for, names that are not
// UTF-8, and manifests over max_source_size whose entries each fit.
import { mkdirSync, mkdtempSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { LegacyRoot, MAX_MANIFEST_BYTES, decodeUtf8 } from "../../src/migration/legacy.ts";

const tool = (name: string) => `export const name = "${name}";\nexport async function call() { return 1; }\n`;
const fresh = () => mkdtempSync(join(tmpdir(), "scriptengine-listing-"));

it("every entry of a manifest gets a result: one naming no tool, or no object, by its index", () => {
  const root = fresh();
  mkdirSync(join(root, "sub"));
  const ok = { name: "word_count", source: "export default async () => 1" };
  writeFileSync(join(root, "sub", "tools.json"), JSON.stringify({ tools: [{ source: "x" }, { name: 42, source: "x" }, "junk", null, { name: "" }, ok] }));
  expect(new LegacyRoot(root, 1 << 20).list("sub")).toEqual([
    { manifest: "sub/tools.json", index: 0, error: "the entry tools[0] of sub/tools.json has no name (a string that is not empty), so it names no tool" },
    { manifest: "sub/tools.json", index: 1, error: "the entry tools[1] of sub/tools.json has no name (a string that is not empty; got 42), so it names no tool" },
    { manifest: "sub/tools.json", index: 2, error: `the entry tools[2] of sub/tools.json is not an object (got "junk"): a tool's entry is an object with a name` },
    { manifest: "sub/tools.json", index: 3, error: "the entry tools[3] of sub/tools.json is not an object (got null): a tool's entry is an object with a name" },
    { manifest: "sub/tools.json", index: 4, error: `the entry tools[4] of sub/tools.json has no name (a string that is not empty; got ""), so it names no tool` },
    { manifest: "sub/tools.json", entry: "word_count" },
  ]);
});

it("a symbolic link to a directory holding the one asked for, or out of it, is one failed entry, not followed", () => {
  const root = fresh();
  mkdirSync(join(root, "sub", "inner"), { recursive: true });
  mkdirSync(join(root, "other"));
  writeFileSync(join(root, "top.js"), tool("top"));
  writeFileSync(join(root, "other", "o.js"), tool("o"));
  writeFileSync(join(root, "sub", "s.js"), tool("s"));
  writeFileSync(join(root, "sub", "inner", "i.js"), tool("i"));
  symlinkSync("..", join(root, "sub", "up"));
  symlinkSync("../other", join(root, "sub", "side"));
  symlinkSync("inner", join(root, "sub", "same")); // inside: followed, once
  const listed = new LegacyRoot(root, 1 << 20).list("sub", true);
  expect(listed).toEqual([
    { file: "sub/s.js" },
    { file: "sub/inner/i.js" },
    { file: "sub/same", error: "sub/same was listed already (a symbolic link loop)" },
    { file: "sub/side", error: "sub/side is a symbolic link to other, outside sub: not followed (migrate other on its own)" },
    { file: "sub/up", error: "sub/up is a symbolic link to ., which holds sub (a symbolic link loop): not followed" },
  ]);
  // From the root, the same links lead nowhere new: each directory is listed once.
  const all = new LegacyRoot(root, 1 << 20).list("", true);
  expect(all.filter((e) => !e.error).map((e) => e.file)).toEqual(["top.js", "other/o.js", "sub/s.js", "sub/inner/i.js"]);
});

it("a name that is not UTF-8 is said to be one: a tool file is unreadable, a manifest or directory a failed entry", () => {
  const root = fresh();
  const latin1 = (s: string) => Buffer.from(s, "latin1");
  const dir = Buffer.from(join(root, "enc") + "/");
  mkdirSync(dir);
  writeFileSync(Buffer.concat([dir, latin1("caf\xe9.js")]), tool("latin1_name"));
  writeFileSync(Buffer.concat([dir, latin1("m\xe9.json")]), JSON.stringify({ tools: [] }));
  writeFileSync(Buffer.concat([dir, latin1("data\xe9.json")]), "{}"); // no manifest: passed by
  writeFileSync(Buffer.concat([dir, latin1("notes\xe9.txt")]), "x");
  mkdirSync(Buffer.concat([dir, latin1("d\xe9")]));
  writeFileSync(join(root, "enc", "ok.js"), tool("ok"));
  const why = (what: string, name: string, at: number, lost: string) =>
    `the ${what} name enc/${name} is not valid UTF-8 (0xE9 at byte ${at}, shown as \\xE9), so ${lost} cannot be migrated; rename it as UTF-8`;
  expect(new LegacyRoot(root, 1 << 20).list("enc", true)).toEqual([
    { file: "enc/ok.js" },
    { file: "enc/caf\\xE9.js", unreadable: why("file", "caf\\xE9.js", 3, "the tool") },
    { file: "enc/d\\xE9", error: why("directory", "d\\xE9", 1, "the tools in it") },
    { file: "enc/m\\xE9.json", error: why("manifest", "m\\xE9.json", 1, "its tools") },
  ]);
  // Not recursive: a subdirectory is none of the run's.
  expect(new LegacyRoot(root, 1 << 20).list("enc").map((e) => e.file)).toEqual(["enc/ok.js", "enc/caf\\xE9.js", "enc/m\\xE9.json"]);
});

it("max_source_size holds each entry of a manifest, not the manifest; the manifest has a bound of its own", () => {
  const root = fresh();
  const big = "x".repeat(3000);
  const entries = ["a", "b", "c", "d"].map((n) => ({ name: `big_${n}`, source: `export default async () => "${big}"` }));
  writeFileSync(join(root, "big.json"), JSON.stringify({ tools: [...entries, { name: "from_file", sourceFile: "huge.js" }] }));
  writeFileSync(join(root, "huge.js"), `// ${big}${big}\n${tool("from_file")}`);
  const legacy = new LegacyRoot(root, 4096);
  expect(legacy.list("").map((e) => e.entry ?? e.error)).toEqual(["big_a", "big_b", "big_c", "big_d", "from_file"]);
  const a = legacy.readManifestEntry("big.json", "big_a");
  expect([a.readError, a.source?.length]).toEqual([undefined, 3029]);
  // A source file an entry names is a source: held to max_source_size.
  expect(legacy.readManifestEntry("big.json", "from_file").readError).toMatch(/^huge\.js is \d+ bytes, over max_source_size \(4096\)$/);
  // The manifest's own bound (sparse: nothing is written).
  writeFileSync(join(root, "vast.json"), '{"tools":[');
  truncateSync(join(root, "vast.json"), MAX_MANIFEST_BYTES + 1);
  expect(legacy.manifestEntries("vast.json").error).toBe(`vast.json is ${MAX_MANIFEST_BYTES + 1} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit of a manifest (${MAX_MANIFEST_BYTES}, or max_source_size if more)`);
});

it("a manifest read for one entry is read again once it changes", () => {
  const root = fresh();
  const write = (description: string) => writeFileSync(join(root, "m.json"), JSON.stringify({ tools: [{ name: "t", description, source: "export default async () => 1" }] }));
  const legacy = new LegacyRoot(root, 1 << 20);
  write("first");
  expect(legacy.readManifestEntry("m.json", "t").manifest?.description).toBe("first");
  write("second, longer");
  expect(legacy.readManifestEntry("m.json", "t").manifest?.description).toBe("second, longer");
});

it("a byte that is not UTF-8 is on the line V8 counts it on: \\r and U+2028 end lines too", () => {
  const bytes = Buffer.concat([Buffer.from("a\rb\u2028c\r\nd\n"), Buffer.from([0xe9])]);
  expect(decodeUtf8(bytes, "f.js").error).toBe("f.js is not valid UTF-8 (byte 11: 0xE9, line 5); save it as UTF-8");
});
