// The built-in `fs` host tool (Development only): read a file or list a directory inside the
// execution's working_directory, which must itself lie inside one of tools.fs_roots when the
// operator set them (the request names the directory: it is a claim like the rest of it).
// Paths are resolved through symlinks and must stay inside.
import { realpath, readdir, stat, open } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { JsonValue } from "../engine/index.ts";
import { ToolError } from "./tool-error.ts";

function within(root: string, target: string): boolean {
  const rel = relative(root, target);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Where the fs tool may look: the request's working directory, allowed when inside one of `roots` (if any). */
export interface FsScope {
  workingDirectory: string | undefined;
  roots: string[];
}

async function inside(root: string, roots: string[], path: string): Promise<string> {
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
  const outside = () => new ToolError(`fs: ${path} is outside the working directory`, "security_violation");
  // Checked before touching the file system, so that "no such file" never tells a script whether
  // a path outside the working directory exists; then again after links are resolved.
  const lexical = resolve(realRoot, path);
  if (!within(realRoot, lexical)) throw outside();
  const target = await realpath(lexical).catch(() => {
    throw new ToolError(`fs: no such file: ${path}`);
  });
  if (!within(realRoot, target)) throw outside();
  return target;
}

export async function fsTool(args: JsonValue, scope: FsScope, maxBytes: number, reportIo: (n: number, f: number) => void): Promise<JsonValue> {
  if (!scope.workingDirectory) throw new ToolError("fs: the execution has no working_directory");
  const a = args as { op?: unknown; path?: unknown };
  if (!a || typeof a !== "object" || typeof a.path !== "string") throw new ToolError('fs: expected { op: "read" | "list", path }');
  const target = await inside(scope.workingDirectory, scope.roots, a.path);
  if (a.op === "list") {
    const entries = await readdir(target, { withFileTypes: true });
    return entries.slice(0, 10_000).map((e) => ({ name: e.name, type: e.isDirectory() ? "dir" : e.isFile() ? "file" : "other" }));
  }
  if (a.op === "read" || a.op === undefined) {
    const info = await stat(target);
    if (!info.isFile()) throw new ToolError(`fs: ${a.path} is not a file`);
    const handle = await open(target, "r");
    try {
      const length = Math.min(info.size, maxBytes);
      const buf = Buffer.alloc(length);
      await handle.read(buf, 0, length, 0);
      reportIo(0, length);
      return { path: a.path, size: info.size, content: buf.toString("utf8"), truncated: info.size > maxBytes };
    } finally {
      await handle.close();
    }
  }
  throw new ToolError(`fs: unknown op ${String(a.op)}`);
}
