// Legacy tools on disk: tool files (.js/.mjs/.ts) and MCP tool manifests (JSON), always read from
// inside the configured legacy root (`tools.legacy_root`). A path that leaves the root (also
// through a symbolic link) is PERMISSION_DENIED. Sources must be UTF-8 text (see decodeUtf8), and
// so must the names of their files and directories (a name that is not cannot be asked for).
import { closeSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync, type Dirent } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { messageOf, serviceError } from "../errors.ts";
import type { LegacyRef } from "../store/migrations.ts";
import { languageOf, type ToolMeta } from "../tools/registry-source.ts";
import { lineCount } from "./source-lines.ts";

export const TOOL_FILE = /\.(js|mjs|ts)$/i;

/** How deep a recursive directory listing goes below the directory asked for. */
const MAX_DEPTH = 16;

/**
 * A manifest is read whole, as JSON, up to this size (or max_source_size, if more): max_source_size
 * holds each of its entries' sources, not the manifest that lists them all.
 */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/**
 * One tool found in a directory: a file, a manifest entry, or why one could not be read. `index`:
 * an entry of a manifest that cannot name its tool (no string name, not an object), by its place
 * in the manifest's "tools". `unreadable`: a tool file that cannot be read (its name is not UTF-8),
 * migrated, and so recorded, as a file that failed source_readable.
 */
export interface LegacyEntry {
  file?: string;
  manifest?: string;
  entry?: string;
  index?: number;
  unreadable?: string;
  error?: string;
}

/** A directory of a listing: its tool files and its manifests (absolute paths, in name order), and what it holds under names that are not UTF-8. */
interface Listed {
  dir: string;
  files: string[];
  manifests: string[];
  misnamed: LegacyEntry[];
}

/** What a manifest holds: its "tools" entries as they are (any JSON), or why it cannot be read. */
export interface ManifestRead {
  entries: unknown[];
  error?: string;
  notManifest?: boolean;
}

/** A manifest entry that is an object: the entry of a tool, named or not. */
const isEntry = (e: unknown): e is ManifestMeta & { source?: unknown; sourceFile?: unknown } => e !== null && typeof e === "object" && !Array.isArray(e);
/** The name an entry gives its tool, if any: a string that is not empty. */
const entryName = (e: unknown): string | undefined => (isEntry(e) && typeof e.name === "string" && e.name !== "" ? e.name : undefined);

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
    // Counted as V8 counts lines (\r, U+2028 too), in the text before the byte, which is UTF-8.
    const line = lineCount(UTF8.decode(bytes.subarray(0, at)));
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

/** A name that is not UTF-8, each byte that is not shown as \xNN (the rest as it is). */
function escapedName(bytes: Uint8Array): string {
  let shown = "";
  for (let rest = bytes; ; ) {
    const at = firstInvalidUtf8(rest);
    if (at < 0) return shown + UTF8.decode(rest);
    shown += `${UTF8.decode(rest.subarray(0, at))}\\x${rest[at].toString(16).toUpperCase().padStart(2, "0")}`;
    rest = rest.subarray(at + 1);
  }
}

/** The start of a file, as text, for mentionsToolsArray (undefined when it cannot be read). */
function readStart(abs: string | Buffer): string | undefined {
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
  /**
   * The last manifest read, by its file's identity and change times: a directory run reads a
   * manifest again for each of its entries, which at MAX_MANIFEST_BYTES would be as many parses.
   */
  #lastManifest?: { key: string; read: ManifestRead };

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

  /** A manifest's bound: MAX_MANIFEST_BYTES, or max_source_size if more. */
  get #maxManifestBytes(): number {
    return Math.max(MAX_MANIFEST_BYTES, this.#maxBytes);
  }

  #read(abs: string, manifest = false): { text?: string; error?: string } {
    try {
      const st = statSync(abs);
      if (!st.isFile()) return { error: `${this.rel(abs)} is not a file` };
      if (manifest && st.size > this.#maxManifestBytes) {
        return { error: `${this.rel(abs)} is ${st.size} bytes, over the ${this.#maxManifestBytes}-byte limit of a manifest (${MAX_MANIFEST_BYTES}, or max_source_size if more)` };
      }
      if (!manifest && st.size > this.#maxBytes) return { error: `${this.rel(abs)} is ${st.size} bytes, over max_source_size (${this.#maxBytes})` };
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
   * The entries of a manifest (as they are: a listing reports those that name no tool), or why it
   * cannot be read. `notManifest`: the file is no manifest by its shape (a JSON object with a
   * "tools" array), so a directory listing passes it by (package.json, tsconfig.json); one it
   * cannot read counts as a manifest when its text has a "tools" array in it. Read once while the
   * file is unchanged; the entries are not to be changed.
   */
  manifestEntries(path: string): ManifestRead {
    const abs = this.resolve(path);
    let key: string | undefined;
    try {
      const st = statSync(abs, { bigint: true });
      key = `${abs}\0${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      /* read below, which says why not */
    }
    if (key !== undefined && this.#lastManifest?.key === key) return this.#lastManifest.read;
    const read = this.#readManifest(abs);
    if (key !== undefined) this.#lastManifest = { key, read };
    return read;
  }

  #readManifest(abs: string): ManifestRead {
    const r = this.#read(abs, true);
    if (r.error) {
      // A file that cannot be opened at all is reported: nothing says it is no manifest.
      const start = readStart(abs);
      return { entries: [], error: r.error, notManifest: start !== undefined && !mentionsToolsArray(start) };
    }
    try {
      const doc = JSON.parse(r.text!) as { tools?: unknown };
      if (!doc || !Array.isArray(doc.tools)) return { entries: [], error: `${this.rel(abs)} has no "tools" array`, notManifest: true };
      return { entries: doc.tools };
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
    const named = entries.filter((e) => entryName(e) === name);
    // Two entries of one name would both be read as the first: neither may be taken for the tool.
    if (named.length > 1) return { ref, readError: `${ref.path} has ${named.length} tools named ${name}; a name must be unique in a manifest`, language: "javascript" };
    if (!isEntry(named[0])) return { ref, readError: `${ref.path} has no tool named ${name}`, language: "javascript" };
    // A copy: the read manifest is kept for its next entry, and what a migration holds may change.
    const { source, sourceFile, ...meta } = structuredClone(named[0]);
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
      if (this.manifestEntries(m).entries.some((e) => entryName(e) === name)) return this.readManifestEntry(m, name);
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
   * is no manifest by its shape, manifestEntries, is passed by). A manifest entry that names no
   * tool, or is not an object, becomes a failed entry by its index. A subdirectory that leads out of
   * the directory asked for through a symbolic link (out of the root, to another part of it, or to
   * a directory holding it: a loop), or that was listed already, becomes one failed entry instead of
   * stopping the run, and is not followed.
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
    this.#walk(abs, recursive ? MAX_DEPTH : 0, { asked: abs, real: realpathSync(abs), seen: new Set() }, visits);
    // Every manifest of the walk is read once; a file one names as an entry's sourceFile is that
    // entry, not a tool of its own.
    const read = new Map<string, ManifestRead>();
    const sourceFiles = new Set<string>();
    for (const v of visits) {
      if (!("dir" in v)) continue;
      for (const m of v.manifests) {
        const r = this.manifestEntries(m);
        if (r.notManifest) continue; // other JSON (package.json, tsconfig.json): no tools, no result
        read.set(m, r);
        for (const e of r.entries) {
          if (isEntry(e) && typeof e.sourceFile === "string") sourceFiles.add(resolve(dirname(m), e.sourceFile));
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
      out.push(...v.misnamed);
      for (const m of v.manifests) {
        if (!read.has(m)) continue;
        const { entries, error } = read.get(m)!;
        const manifest = this.rel(m);
        if (error) out.push({ manifest, error });
        for (const [index, e] of entries.entries()) {
          const name = entryName(e);
          if (name !== undefined) out.push({ manifest, entry: name });
          else out.push({ manifest, index, error: unnamedEntry(manifest, index, e) });
        }
      }
    }
    return out;
  }

  /**
   * The directories to list, depth first in name order, with an error entry where one cannot be.
   * `within`: the directory asked for (as asked, and its real path), and the real paths listed so far.
   */
  #walk(abs: string, depth: number, within: { asked: string; real: string; seen: Set<string> }, out: (Listed | LegacyEntry)[]): void {
    let real = abs;
    try {
      real = realpathSync(abs);
    } catch {
      /* listed as it is */
    }
    if (within.seen.has(real)) {
      out.push({ file: this.rel(abs), error: `${this.rel(abs)} was listed already (a symbolic link loop)` });
      return;
    }
    within.seen.add(real);
    let entries: Dirent<Buffer>[];
    try {
      // Names as bytes: one that is not UTF-8 would read as U+FFFD, a name no file has.
      entries = readdirSync(abs, { withFileTypes: true, encoding: "buffer" }).sort((a, b) => Buffer.compare(a.name, b.name));
    } catch (err) {
      out.push({ file: this.rel(abs), error: `${this.rel(abs)} cannot be listed (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
      return;
    }
    const files: string[] = [];
    const manifests: string[] = [];
    const subdirs: string[] = [];
    const misnamed: LegacyEntry[] = [];
    for (const e of entries) {
      const { text: name } = decodeUtf8(e.name, "");
      const shown = name ?? escapedName(e.name);
      const at: string | Buffer = name !== undefined ? join(abs, name) : Buffer.concat([Buffer.from(abs + sep), e.name]);
      let isFile = e.isFile();
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        try {
          const t = statSync(at);
          isFile = t.isFile();
          isDir = t.isDirectory();
        } catch {
          continue; // dangling
        }
      }
      const isTool = isFile && TOOL_FILE.test(shown) && !shown.endsWith(".d.ts");
      const isJson = isFile && extname(shown).toLowerCase() === ".json";
      const isSubdir = isDir && !shown.startsWith(".") && shown !== "node_modules";
      if (name === undefined) {
        // Named in no request and read by no path string: said, not listed as a file it is not.
        const path = this.rel(join(abs, shown));
        const bad = firstInvalidUtf8(e.name);
        const hex = e.name[bad].toString(16).toUpperCase().padStart(2, "0");
        const why = (what: string, lost: string) => `the ${what} name ${path} is not valid UTF-8 (0x${hex} at byte ${bad}, shown as \\x${hex}), so ${lost} cannot be migrated; rename it as UTF-8`;
        if (isTool) misnamed.push({ file: path, unreadable: why("file", "the tool") });
        else if (isJson && mentionsToolsArray(readStart(at) ?? "")) misnamed.push({ file: path, error: why("manifest", "its tools") });
        else if (isSubdir && depth > 0) misnamed.push({ file: path, error: why("directory", "the tools in it") });
        continue;
      }
      if (isTool) files.push(at as string);
      else if (isJson) manifests.push(at as string);
      else if (isSubdir) subdirs.push(at as string);
    }
    out.push({ dir: abs, files, manifests, misnamed });
    if (depth <= 0) return;
    for (const d of subdirs) {
      try {
        this.resolve(this.rel(d), "directory");
      } catch (err) {
        out.push({ file: this.rel(d), error: messageOf(err) });
        continue;
      }
      const led = this.#leadsOut(d, within);
      if (led) {
        out.push({ file: this.rel(d), error: led });
        continue;
      }
      this.#walk(d, depth - 1, within, out);
    }
  }

  /**
   * Why a subdirectory (inside the root) is not followed: a symbolic link out of the directory
   * asked for. Up to a directory that holds it, it would list that directory once, in full, under a
   * second path; elsewhere, tools the run was not asked for.
   */
  #leadsOut(d: string, within: { asked: string; real: string; seen: Set<string> }): string | undefined {
    let real: string;
    try {
      real = realpathSync(d);
    } catch {
      return undefined; // listed as it is, and said there
    }
    const inside = (p: string, r: string) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep);
    // One listed already (the directory asked for, say) is said so by #walk.
    if (inside(real, within.real) || within.seen.has(real)) return undefined;
    const asked = this.rel(within.asked);
    const to = relative(this.#realRoot(), real) || ".";
    if (inside(within.real, real)) return `${this.rel(d)} is a symbolic link to ${to}, which holds ${asked} (a symbolic link loop): not followed`;
    return `${this.rel(d)} is a symbolic link to ${to}, outside ${asked}: not followed (migrate ${to} on its own)`;
  }
}

/** Why a manifest entry names no tool, by its index in the manifest's "tools". */
function unnamedEntry(manifest: string, index: number, e: unknown): string {
  const shown = (v: unknown) => {
    const text = JSON.stringify(v) ?? String(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  };
  const at = `the entry tools[${index}] of ${manifest}`;
  if (!isEntry(e)) return `${at} is not an object (got ${shown(e)}): a tool's entry is an object with a name`;
  return `${at} has no name (a string that is not empty${e.name === undefined ? "" : `; got ${shown(e.name)}`}), so it names no tool`;
}
