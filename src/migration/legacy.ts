// Legacy tools on disk: tool files (.js/.mjs/.ts) and MCP tool manifests (JSON), always read from
// inside the configured legacy root (`tools.legacy_root`). A path that leaves the root (also
// through a symbolic link) is PERMISSION_DENIED. Sources must be UTF-8 text (see decodeUtf8).
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { messageOf, serviceError } from "../errors.ts";
import type { LegacyRef } from "../store/migrations.ts";
import { languageOf, type ToolMeta } from "../tools/registry-source.ts";

export const TOOL_FILE = /\.(js|mjs|ts)$/i;

/** How deep a recursive directory listing goes below the directory asked for. */
const MAX_DEPTH = 16;

/** One tool found in a directory: a file, a manifest entry, or why one could not be read. */
export interface LegacyEntry {
  file?: string;
  manifest?: string;
  entry?: string;
  error?: string;
}

/** A directory of a listing: its tool files and its manifests (absolute paths, in name order). */
interface Listed {
  dir: string;
  files: string[];
  manifests: string[];
}

/** What a manifest entry says about its tool (it wins over the code's own exports). */
export type ManifestMeta = ToolMeta;

export interface LegacyTool {
  ref: LegacyRef;
  /** Present when the source could be read. */
  source?: string;
  /** Why it could not be read. */
  readError?: string;
  language: "javascript" | "typescript";
  /** From the manifest entry, when the tool comes from a manifest. */
  manifest?: ManifestMeta;
}

// Fatal: a byte that is not UTF-8 must fail the read, not become U+FFFD in the migrated source,
// its backup and its hash. ignoreBOM keeps a UTF-8 BOM in the text, as reading it always did.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Byte order marks of the encodings a tool file is most likely in when it is not UTF-8 (longest first). */
const FOREIGN_BOMS: [string, number[]][] = [
  ["UTF-32 LE", [0xff, 0xfe, 0x00, 0x00]],
  ["UTF-32 BE", [0x00, 0x00, 0xfe, 0xff]],
  ["UTF-16 LE", [0xff, 0xfe]],
  ["UTF-16 BE", [0xfe, 0xff]],
];

/** Where the first byte sequence that is not UTF-8 starts (the WHATWG decoder's rules), or -1. */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c < 0x80) {
      i += 1;
      continue;
    }
    // Continuation bytes, and the tighter range of the second byte that rules out overlong
    // forms, surrogates and code points past U+10FFFF.
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

/** The file's text, or why it is not UTF-8 text: a foreign byte order mark named, else the first bad byte (from 0) and its line. */
export function decodeUtf8(bytes: Uint8Array, name: string): { text?: string; error?: string } {
  const bom = FOREIGN_BOMS.find(([, mark]) => mark.every((v, i) => bytes[i] === v));
  if (bom) return { error: `${name} is not valid UTF-8 (byte 0: a ${bom[0]} byte order mark, so ${bom[0]} text); save it as UTF-8` };
  try {
    return { text: UTF8.decode(bytes) };
  } catch {
    const at = firstInvalidUtf8(bytes);
    if (at < 0) return { error: `${name} is not valid UTF-8; save it as UTF-8` };
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line += 1;
    const hex = (bytes[at] ?? 0).toString(16).toUpperCase().padStart(2, "0");
    return { error: `${name} is not valid UTF-8 (byte ${at}: 0x${hex}, line ${line}); save it as UTF-8` };
  }
}

/** How much of a JSON file that cannot be read whole is looked at for a "tools" array. */
const MANIFEST_PEEK = 64 * 1024;

/** Whether JSON text (or its start) has a "tools" array: a manifest, if a broken one. */
function mentionsToolsArray(text: string): boolean {
  return /"tools"\s*:\s*\[/.test(text);
}

/** The start of a file, as text, for mentionsToolsArray (undefined when it cannot be read). */
function readStart(abs: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(abs, "r");
    const buf = Buffer.alloc(MANIFEST_PEEK);
    return buf.toString("latin1", 0, readSync(fd, buf, 0, MANIFEST_PEEK, 0));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export class LegacyRoot {
  readonly root: string;
  readonly #maxBytes: number;

  constructor(root: string, maxBytes: number) {
    this.root = resolve(root);
    this.#maxBytes = maxBytes;
  }

  #realRoot(): string {
    try {
      return realpathSync(this.root);
    } catch {
      return this.root;
    }
  }

  /** An absolute path inside the root, or PERMISSION_DENIED. A missing file is allowed (reading it fails later). */
  resolve(path: string, field = "config.source"): string {
    const abs = isAbsolute(path) ? resolve(path) : resolve(this.root, path);
    const realRoot = this.#realRoot();
    let real = abs;
    try {
      real = realpathSync(abs);
    } catch {
      try {
        real = join(realpathSync(dirname(abs)), abs.slice(dirname(abs).length + 1));
      } catch {
        real = abs;
      }
    }
    const inside = (p: string, r: string) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep);
    if (!inside(abs, this.root) || !inside(real, realRoot)) {
      throw serviceError("SECURITY_VIOLATION", `${path} is outside the legacy tools root`, { field, metadata: { path } });
    }
    return abs;
  }

  rel(abs: string): string {
    return relative(this.root, abs) || ".";
  }

  #read(abs: string): { text?: string; error?: string } {
    try {
      const st = statSync(abs);
      if (!st.isFile()) return { error: `${this.rel(abs)} is not a file` };
      if (st.size > this.#maxBytes) return { error: `${this.rel(abs)} is ${st.size} bytes, over max_source_size (${this.#maxBytes})` };
      const { text, error } = decodeUtf8(readFileSync(abs), this.rel(abs));
      if (text === undefined) return { error };
      if (text.trim() === "") return { error: `${this.rel(abs)} is empty` };
      return { text };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return { error: code === "ENOENT" ? `${this.rel(abs)} does not exist` : `${this.rel(abs)} cannot be read (${code ?? String(err)})` };
    }
  }

  /** A tool file. */
  readFile(path: string): LegacyTool {
    const abs = this.resolve(path);
    const r = this.#read(abs);
    return { ref: { kind: "file", path: this.rel(abs) }, source: r.text, readError: r.error, language: languageOf(abs) };
  }

  /**
   * The entries of a manifest (names), or why it cannot be read. `notManifest`: the file is no
   * manifest by its shape (a JSON object with a "tools" array), so a directory listing passes it by
   * (package.json, tsconfig.json); one it cannot read counts as a manifest when its text has a
   * "tools" array in it.
   */
  manifestEntries(path: string): { entries: ManifestMeta[]; error?: string; notManifest?: boolean } {
    const abs = this.resolve(path);
    const r = this.#read(abs);
    if (r.error) {
      // A file that cannot be opened at all is reported: nothing says it is no manifest.
      const start = readStart(abs);
      return { entries: [], error: r.error, notManifest: start !== undefined && !mentionsToolsArray(start) };
    }
    try {
      const doc = JSON.parse(r.text!) as { tools?: unknown };
      if (!doc || !Array.isArray(doc.tools)) return { entries: [], error: `${this.rel(abs)} has no "tools" array`, notManifest: true };
      return { entries: doc.tools.filter((t): t is ManifestMeta => t !== null && typeof t === "object") };
    } catch (err) {
      return { entries: [], error: `${this.rel(abs)} is not valid JSON: ${(err as Error).message}`, notManifest: !mentionsToolsArray(r.text!) };
    }
  }

  /** One entry of a manifest: its metadata, and its code (inline `source` or a `sourceFile` next to the manifest). */
  readManifestEntry(path: string, name: string): LegacyTool {
    const abs = this.resolve(path);
    const ref: LegacyRef = { kind: "manifest", path: this.rel(abs), entry: name };
    const { entries, error } = this.manifestEntries(path);
    if (error) return { ref, readError: error, language: "javascript" };
    const named = entries.filter((e) => e.name === name);
    // Two entries of one name would both be read as the first: neither may be taken for the tool.
    if (named.length > 1) return { ref, readError: `${ref.path} has ${named.length} tools named ${name}; a name must be unique in a manifest`, language: "javascript" };
    const entry = named[0] as (ManifestMeta & { source?: unknown; sourceFile?: unknown }) | undefined;
    if (!entry) return { ref, readError: `${ref.path} has no tool named ${name}`, language: "javascript" };
    const { source, sourceFile, ...meta } = entry;
    if (typeof source === "string") {
      return source.trim() ? { ref, source, language: "javascript", manifest: meta } : { ref, readError: `the entry ${name} has an empty source`, language: "javascript", manifest: meta };
    }
    if (typeof sourceFile === "string") {
      // Relative to the root, so that a refusal quotes the manifest's own path, not the server's.
      const file = this.resolve(join(dirname(this.rel(abs)), sourceFile), "sourceFile");
      const r = this.#read(file);
      return { ref, source: r.text, readError: r.error, language: languageOf(file), manifest: meta };
    }
    return { ref, readError: `the entry ${name} has neither "source" nor "sourceFile"`, language: "javascript", manifest: meta };
  }

  /** Re-reads a tool from where a migration found it. */
  read(ref: LegacyRef): LegacyTool {
    return ref.kind === "manifest" ? this.readManifestEntry(ref.path, ref.entry ?? "") : this.readFile(ref.path);
  }

  /** Finds a tool by name: `<name>.js|.mjs|.ts` (also with - and _ swapped) in the root, then the root's manifests. */
  find(name: string): LegacyTool {
    const names = new Set([name, name.replace(/_/g, "-"), name.replace(/-/g, "_")]);
    for (const n of names) {
      for (const ext of [".js", ".mjs", ".ts"]) {
        const abs = join(this.root, n + ext);
        try {
          if (statSync(abs).isFile()) return this.readFile(abs);
        } catch {
          /* next */
        }
      }
    }
    for (const m of this.#manifests(this.root)) {
      if (this.manifestEntries(m).entries.some((e) => e.name === name)) return this.readManifestEntry(m, name);
    }
    // The root is named (tools.legacy_root, resolved): a relative one depends on the working directory.
    const where = `the legacy tools root ${this.root}${isDirectory(this.root) ? "" : " (tools.legacy_root: no such directory)"}`;
    return { ref: { kind: "file", path: `${name}.js` }, readError: `no legacy tool named ${name} in ${where} (looked for ${[...names].map((n) => n + ".js|.mjs|.ts").join(", ")} and manifest entries)`, language: "javascript" };
  }

  #manifests(dir: string): string[] {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isFile() && extname(e.name).toLowerCase() === ".json")
        .map((e) => join(dir, e.name))
        .sort();
    } catch {
      return [];
    }
  }

  /**
   * Every legacy tool of a directory: tool files, then each manifest's entries; with `recursive`,
   * then each subdirectory's, in name order (hidden ones and node_modules skipped; a .json file that
   * is no manifest by its shape, manifestEntries, is passed by). A subdirectory
   * that leaves the root through a symbolic link, or that was listed already (a link loop), becomes
   * one failed entry instead of stopping the run.
   */
  list(dir: string, recursive = false): LegacyEntry[] {
    // A missing root is the server's configuration, not the request's directory.
    if (!isDirectory(this.root)) {
      throw serviceError("CONFIGURATION_ERROR", `the legacy tools root ${this.root} (tools.legacy_root) is not a directory`, { metadata: { key: "tools.legacy_root" } });
    }
    const abs = this.resolve(dir || ".", "directory");
    let st;
    try {
      st = statSync(abs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") throw serviceError("VALIDATION_ERROR", `${dir} does not exist in the legacy tools root`, { field: "directory" });
      throw err;
    }
    if (!st.isDirectory()) throw serviceError("VALIDATION_ERROR", `${dir} is not a directory`, { field: "directory" });
    const visits: (Listed | LegacyEntry)[] = [];
    this.#walk(abs, recursive ? MAX_DEPTH : 0, new Set(), visits);
    // Every manifest of the walk is read once; a file one names as an entry's sourceFile is that
    // entry, not a tool of its own.
    const read = new Map<string, { entries: ManifestMeta[]; error?: string }>();
    const sourceFiles = new Set<string>();
    for (const v of visits) {
      if (!("dir" in v)) continue;
      for (const m of v.manifests) {
        const r = this.manifestEntries(m);
        if (r.notManifest) continue; // other JSON (package.json, tsconfig.json): no tools, no result
        read.set(m, r);
        for (const e of r.entries) {
          const sf = (e as { sourceFile?: unknown }).sourceFile;
          if (typeof sf === "string") sourceFiles.add(resolve(dirname(m), sf));
        }
      }
    }
    const out: LegacyEntry[] = [];
    for (const v of visits) {
      if (!("dir" in v)) {
        out.push(v);
        continue;
      }
      for (const p of v.files) if (!sourceFiles.has(p)) out.push({ file: this.rel(p) });
      for (const m of v.manifests) {
        if (!read.has(m)) continue;
        const { entries, error } = read.get(m)!;
        if (error) out.push({ manifest: this.rel(m), error });
        for (const e of entries) out.push({ manifest: this.rel(m), entry: typeof e.name === "string" ? e.name : "" });
      }
    }
    return out;
  }

  /** The directories to list, depth first in name order, with an error entry where one cannot be. */
  #walk(abs: string, depth: number, seen: Set<string>, out: (Listed | LegacyEntry)[]): void {
    let real = abs;
    try {
      real = realpathSync(abs);
    } catch {
      /* listed as it is */
    }
    if (seen.has(real)) {
      out.push({ file: this.rel(abs), error: `${this.rel(abs)} was listed already (a symbolic link loop)` });
      return;
    }
    seen.add(real);
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      out.push({ file: this.rel(abs), error: `${this.rel(abs)} cannot be listed (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
      return;
    }
    const files: string[] = [];
    const manifests: string[] = [];
    const subdirs: string[] = [];
    for (const e of entries) {
      const p = join(abs, e.name);
      let isFile = e.isFile();
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          const t = statSync(p);
          isFile = t.isFile();
          isDir = t.isDirectory();
        } catch {
          continue; // dangling
        }
      }
      if (isFile && TOOL_FILE.test(e.name) && !e.name.endsWith(".d.ts")) files.push(p);
      else if (isFile && extname(e.name).toLowerCase() === ".json") manifests.push(p);
      else if (isDir && !e.name.startsWith(".") && e.name !== "node_modules") subdirs.push(p);
    }
    out.push({ dir: abs, files, manifests });
    if (depth <= 0) return;
    for (const d of subdirs) {
      try {
        this.resolve(this.rel(d), "directory");
      } catch (err) {
        out.push({ file: this.rel(d), error: messageOf(err) });
        continue;
      }
      this.#walk(d, depth - 1, seen, out);
    }
  }
}
