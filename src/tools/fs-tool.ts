// The built-in `fs` host tool (Development only): read a file or list a directory inside the
// execution's working_directory, which must itself lie inside one of tools.fs_roots when the
// operator set them (the request names the directory: it is a claim like the rest of it).
// Paths are resolved through symlinks and must stay inside; the object opened is checked again,
// since the names may change between the check and the open (see openInside).
import { constants, type Dirent } from "node:fs";
import { open, opendir, realpath, stat, type FileHandle } from "node:fs/promises";
import { isUtf8 } from "node:buffer";
import { StringDecoder } from "node:string_decoder";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { JsonValue } from "../engine/index.ts";
import { ToolError } from "./tool-error.ts";
import { fitTextResult } from "./fit-text.ts";
import { clipText } from "../errors.ts";

/** Entries one `list` returns at most (its JSON is bounded too, by the tool's byte cap). */
export const MAX_LIST_ENTRIES = 10_000;
/** The last entry of a listing that was cut short: a file name is never empty. */
export const LIST_TRUNCATED = { name: "", type: "truncated" } as const;

function within(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Where the fs tool may look: the request's working directory, allowed when inside one of `roots` (if any). */
export interface FsScope {
  workingDirectory: string | undefined;
  roots: string[];
}

const WHY: Record<string, string> = {
  ENOENT: "no such file",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  EPERM: "permission denied",
  ELOOP: "too many symbolic links, or a symbolic link where the file was",
};

/** Node's fs errors name the host's resolved path: the script is told its own path and the code only. */
function fsError(path: string, err: unknown): ToolError {
  if (err instanceof ToolError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return new ToolError(`fs: no such file: ${path}`);
  return new ToolError(`fs: ${path}: ${code ? (WHY[code] ? `${WHY[code]} (${code})` : code) : "failed"}`);
}

// The path is the script's: quoted and clipped, it cannot make the refusal (a SecurityViolation's detail) read otherwise.
const outside = (path: string) => new ToolError(`fs: ${JSON.stringify(clipText(path, MAX_QUOTED_PATH_BYTES))} is outside the working directory`, "security_violation");
const MAX_QUOTED_PATH_BYTES = 200;

/** The working directory's real path, and the real path of `path` in it (both checked to be inside). */
async function inside(root: string, roots: string[], path: string): Promise<{ realRoot: string; target: string }> {
  // With roots set, a working directory outside them is refused before it is looked up (its
  // existence is none of the caller's business), then again once its links are resolved.
  const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => undefined)));
  const inRoots = (dir: string) => roots.length === 0 || realRoots.some((r) => r !== undefined && within(r, dir)) || roots.some((r) => within(resolve(r), dir));
  const outsideRoots = () => new ToolError(`fs: working directory ${root} is outside tools.fs_roots`, "security_violation");
  if (!inRoots(resolve(root))) throw outsideRoots();
  const realRoot = await realpath(root).catch(() => {
    throw new ToolError(`fs: working directory ${root} does not exist`);
  });
  if (roots.length > 0 && !realRoots.some((r) => r !== undefined && within(r, realRoot))) throw outsideRoots();
  // Checked before touching the file system, so that "no such file" never tells a script whether
  // a path outside the working directory exists; then again after links are resolved. An absolute
  // path may be spelled through the working directory as the request gave it (a link, or below one):
  // it is taken relative to that, then checked as any other.
  const given = resolve(root), absolute = resolve(path);
  const lexical = isAbsolute(path) && within(given, absolute) ? resolve(realRoot, relative(given, absolute)) : resolve(realRoot, path);
  if (!within(realRoot, lexical)) throw outside(path);
  const target = await realpath(lexical).catch((err: unknown) => {
    throw fsError(path, err);
  });
  if (!within(realRoot, target)) throw outside(path);
  return { realRoot, target };
}

/**
 * Opens `target` and checks what was opened, not the name: between the check above and the open,
 * a directory on the way may have become a symlink to elsewhere, or the file a FIFO. The open
 * never blocks (a FIFO's blocking open waits for a writer in a threadpool thread nothing can
 * cancel), never follows a final symlink (`target` is resolved, so one there is new) and never
 * takes a terminal as the server's own; then where the descriptor really leads is read back from
 * /proc/self/fd, which is Linux's (the server targets Linux; without /proc every call fails).
 */
async function openInside(realRoot: string, target: string, path: string, directory: boolean): Promise<FileHandle> {
  const { O_RDONLY, O_NONBLOCK, O_NOFOLLOW, O_NOCTTY, O_DIRECTORY } = constants;
  const handle = await open(target, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | (directory ? O_DIRECTORY : 0)).catch((err: unknown) => {
    throw fsError(path, err);
  });
  try {
    if (!within(realRoot, await realpath(`/proc/self/fd/${handle.fd}`))) throw outside(path);
    return handle;
  } catch (err) {
    await handle.close();
    throw fsError(path, err);
  }
}

/** An entry's type as listed: a symlink is one whatever it leads to (the tool reads through those inside). */
const entryType = (e: Dirent<Buffer>) => (e.isDirectory() ? "dir" : e.isFile() ? "file" : e.isSymbolicLink() ? "symlink" : "other");

/** Entries of the opened directory, read as they come and cut at MAX_LIST_ENTRIES or `maxBytes` of JSON. */
async function list(handle: FileHandle, path: string, maxBytes: number): Promise<JsonValue> {
  if (!(await handle.stat()).isDirectory()) throw new ToolError(`fs: ${path} is not a directory`);
  // Through the descriptor, not the name, which may lead elsewhere by now. Names come as bytes: one
  // that is not UTF-8 cannot be spelled in a path the script passes back, so it is marked as such.
  const dir = await opendir(`/proc/self/fd/${handle.fd}`, { encoding: "buffer" as BufferEncoding });
  const entries: JsonValue[] = [];
  let bytes = 2 + JSON.stringify(LIST_TRUNCATED).length + 1;
  try {
    for await (const e of dir as AsyncIterable<Dirent<Buffer>>) {
      const entry: Record<string, JsonValue> = { name: e.name.toString("utf8"), type: entryType(e) };
      if (!isUtf8(e.name)) entry.notUtf8 = true;
      bytes += Buffer.byteLength(JSON.stringify(entry)) + 1;
      if (entries.length === MAX_LIST_ENTRIES || bytes > maxBytes) {
        entries.push({ ...LIST_TRUNCATED });
        break; // closes dir
      }
      entries.push(entry);
    }
  } catch (err) {
    throw fsError(path, err);
  }
  return entries;
}

/** The opened file's first `maxBytes`: sized by its own fstat, cut to the bytes a read returned. */
async function read(handle: FileHandle, path: string, maxBytes: number, reportIo: (n: number, f: number) => void): Promise<JsonValue> {
  const info = await handle.stat();
  if (!info.isFile()) throw new ToolError(`fs: ${path} is not a file`);
  const length = Math.min(info.size, maxBytes);
  const buf = Buffer.alloc(length);
  let got = 0;
  // A file cut short meanwhile (or one whose size says more than it holds) ends where reads do.
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  reportIo(0, got);
  // A read the cap cut may end inside a character: that one is left out (as the http tool does)
  // rather than made U+FFFD, which would read as a bad byte in the file. A file read to its end
  // is decoded whole, its own bad bytes included.
  const cut = got === maxBytes && info.size > maxBytes;
  const text = cut ? new StringDecoder("utf8").write(buf.subarray(0, got)) : buf.subarray(0, got).toString("utf8");
  // As much of the content as fits the result cap (twice maxBytes, as the bridge's callers size
  // the two) once JSON: a control byte is written \u0000, six bytes for one.
  return fitTextResult("fs", { path, size: info.size }, "content", text, info.size > maxBytes, 2 * maxBytes) as JsonValue;
}

export async function fsTool(args: JsonValue | undefined, scope: FsScope, maxBytes: number, reportIo: (n: number, f: number) => void): Promise<JsonValue> {
  if (!scope.workingDirectory) throw new ToolError("fs: the execution has no working_directory");
  const a = args as { op?: unknown; path?: unknown };
  if (!a || typeof a !== "object" || typeof a.path !== "string") throw new ToolError('fs: expected { op: "read" | "list", path }');
  const path = a.path;
  const op = a.op === undefined ? "read" : a.op;
  if (op !== "read" && op !== "list") throw new ToolError(`fs: unknown op ${String(a.op)}`);
  const { realRoot, target } = await inside(scope.workingDirectory, scope.roots, path);
  // A first refusal by name, so that a device or FIFO named in the directory is not even opened
  // (opening one may act on it); the opened object is what is checked for good.
  const info = await stat(target).catch((err: unknown) => {
    throw fsError(path, err);
  });
  if (op === "list" && !info.isDirectory()) throw new ToolError(`fs: ${path} is not a directory`);
  if (op === "read" && !info.isFile()) throw new ToolError(`fs: ${path} is not a file`);
  const handle = await openInside(realRoot, target, path, op === "list");
  try {
    return op === "list" ? await list(handle, path, maxBytes) : await read(handle, path, maxBytes, reportIo);
  } catch (err) {
    throw fsError(path, err);
  } finally {
    await handle.close();
  }
}
