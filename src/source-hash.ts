/**
 * The hex SHA-256 of a source's UTF-8: a script's and a tool's `source_hash`. One definition, because
 * the engine computes it at compile, the migrator for a tool, and the store checks a source read back
 * against it (store/scripts.ts, store/tools.ts).
 */
import { createHash } from "node:crypto";

export function sourceHash(source: string): string {
  return createHash("sha256").update(source).digest("hex");
}
