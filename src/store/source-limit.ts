// A script or tool stored before max_source_size was lowered stays stored, but is refused when run,
// at the exact limit (not the engine's, which has room for a tool's footer), saying which setting
// refuses it; the server's start says how many there are (sourcesOverLimitWarning).
import type { Logger } from "../log.ts";

/** Why a stored source is refused by max_source_size `limit`, or undefined. */
export function storedSourceOver(source: string, limit: number): { message: string; size: number } | undefined {
  // Every ExecuteScript and tool call asks: a UTF-16 unit is 1 to 3 UTF-8 bytes, so most sources are
  // told by their length, without the walk byteLength makes (~1 ms of the server's thread for 1 MiB).
  if (source.length * 3 <= limit) return undefined;
  const size = Buffer.byteLength(source);
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
