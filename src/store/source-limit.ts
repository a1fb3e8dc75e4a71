// A script or tool stored before max_source_size was lowered stays stored, but is refused when run,
// at the exact limit (not the engine's, which has room for a tool's footer), saying which setting
// refuses it; the server's start says how many there are (sourcesOverLimitWarning).
import type { Logger } from "../log.ts";

/**
 * UTF-8 sizes of sources as read from the store, by the object read: what SQLite's octet_length
 * gave with the row (rememberSourceBytes), else measured once.
 */
const sourceBytes = new WeakMap<object, number>();

/** The store read `stored` with its source's UTF-8 size: storedSourceOver needs no walk of it. */
export function rememberSourceBytes(stored: object, bytes: number): void {
  sourceBytes.set(stored, bytes);
}

/** Why a stored script's or tool's source is refused by max_source_size `limit`, or undefined. */
export function storedSourceOver(stored: { readonly source: string }, limit: number): { message: string; size: number } | undefined {
  // Every ExecuteScript and tool call asks: a UTF-16 unit is 1 to 3 UTF-8 bytes, so most sources are
  // told by their length; the others by the size the store gave, never by the walk byteLength
  // makes (~0.75 ms of the server's thread for 1 MiB of ASCII, ~2.6 ms of emoji).
  const { source } = stored;
  if (source.length * 3 <= limit) return undefined;
  let size = sourceBytes.get(stored);
  if (size === undefined) sourceBytes.set(stored, (size = Buffer.byteLength(source)));
  if (size <= limit) return undefined;
  return { size, message: `its source is ${size} bytes, over max_source_size (${limit}), which is lower than when it was stored: store it again within the limit, or raise max_source_size` };
}

/** One warning line at start when stored sources are over max_source_size (their runs are refused). */
export function warnSourcesOverLimit(log: Logger, limit: number, tools: number, scripts: { scripts: number; versions: number }): void {
  if (tools === 0 && scripts.versions === 0) return;
  log.warn("stored sources over max_source_size are refused when run", {
    max_source_size: limit,
    tools,
    scripts: scripts.scripts,
    script_versions: scripts.versions,
  });
}
