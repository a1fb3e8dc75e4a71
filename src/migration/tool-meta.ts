// Bounds of a tool's free-form metadata, in characters (code points), like a script's name and
// metadata (SCRIPT_META_LIMITS): each is stored, listed by ListTools and sent whole by GetTool, so
// none may grow a response toward the 4 MiB a gRPC client receives by default. A manifest entry's
// metadata is held to them too (it is not a describe run's result, whose JSON is capped at 1 MiB).
import { longerThan } from "../code-points.ts";

export const TOOL_META_LIMITS = { versionMaxLength: 64, descriptionMaxLength: 4096, maxTags: 32, tagMaxLength: 64 } as const;

/** Why a tool's version, description or tags are out of bounds (one message per field), naming the field and its limit. */
export function toolMetaProblems(m: { version: string; description: string; tags: string[] }): string[] {
  const L = TOOL_META_LIMITS;
  const out: string[] = [];
  if (longerThan(m.version, L.versionMaxLength)) out.push(`version is longer than ${L.versionMaxLength} characters`);
  if (longerThan(m.description, L.descriptionMaxLength)) out.push(`description is longer than ${L.descriptionMaxLength} characters`);
  const tags = tagProblem(m.tags);
  if (tags) out.push(tags);
  return out;
}

function tagProblem(tags: string[]): string | undefined {
  const L = TOOL_META_LIMITS;
  if (tags.length > L.maxTags) return `tags has ${tags.length} entries, over the limit of ${L.maxTags}`;
  const seen = new Set<string>();
  for (const [i, t] of tags.entries()) {
    if (t === "") return `tags[${i}] is empty; a tag must be 1-${L.tagMaxLength} characters`;
    if (longerThan(t, L.tagMaxLength)) return `tags[${i}] is longer than ${L.tagMaxLength} characters`;
    if (seen.has(t)) return `tags[${i}] repeats the tag ${JSON.stringify(t)}; tags must be distinct`;
    seen.add(t);
  }
  return undefined;
}
