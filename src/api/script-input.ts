// What a caller may name and attach in a script request. Ids and names label an execution in
// results, events, logs and traces, and name and metadata are stored with every version: each is
// bounded, and a value outside the bounds is INVALID_ARGUMENT naming its field (never quoted back).
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { longerThan } from "../code-points.ts";
import { serviceError } from "../errors.ts";
import { MAX_VALUE_DEPTH, valueNestsDeeper, type JsonObject } from "../engine/index.ts";
import { ScriptKind, ScriptLanguage, type CompilationContext } from "../../gen/ts/scriptengine/v1/script_pb.js";

const SCRIPT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const EXECUTION_ID = /^[\x21-\x7e]{1,128}$/;

/** Bounds of a script's free-form name and metadata, in characters (code points). */
export const SCRIPT_META_LIMITS = { nameMaxLength: 256, metadataMaxEntries: 64, keyMaxLength: 128, valueMaxLength: 1024 } as const;

const invalid = (field: string, message: string) => serviceError("VALIDATION_ERROR", message, { field });

/** A script id no compile could have stored is the caller's error. */
export function checkScriptId(id: string, field: string): void {
  if (!SCRIPT_ID.test(id)) throw invalid(field, `${field} must be 1-128 characters of letters, digits and . _ : -`);
}

/** A caller-chosen execution id: 1-128 printable ASCII characters, no spaces. */
export function checkExecutionId(id: string): void {
  if (!EXECUTION_ID.test(id)) throw invalid("context.execution_id", "context.execution_id must be at most 128 printable ASCII characters, without spaces");
}

export function checkName(name: string, field: string): void {
  if (longerThan(name, SCRIPT_META_LIMITS.nameMaxLength)) throw invalid(field, `${field} is longer than ${SCRIPT_META_LIMITS.nameMaxLength} characters`);
}

export function checkMetadata(metadata: Record<string, string>, field = "context.metadata"): void {
  const L = SCRIPT_META_LIMITS;
  const entries = Object.entries(metadata);
  if (entries.length > L.metadataMaxEntries) throw invalid(field, `${field} has more than ${L.metadataMaxEntries} entries`);
  for (const [k, v] of entries) {
    if (k === "" || longerThan(k, L.keyMaxLength)) throw invalid(field, `${field} keys must be 1-${L.keyMaxLength} characters`);
    if (longerThan(v, L.valueMaxLength)) throw invalid(field, `${field} values must be at most ${L.valueMaxLength} characters`);
  }
}

/**
 * A source's language and kind, as the engine takes them (kind undefined: detected from the source).
 * A number the contract does not declare is the caller's error, as every other enum's is: a client
 * built on a newer contract (a new language) would otherwise have its source compiled as JavaScript.
 */
export function compilationOptions(cc: CompilationContext | undefined, field: "context" | "compilation") {
  const language = cc?.language ?? ScriptLanguage.UNSPECIFIED;
  const kind = cc?.kind ?? ScriptKind.UNSPECIFIED;
  if (ScriptLanguage[language] === undefined) throw invalid(`${field}.language`, `${field}.language ${language} is not a script language`);
  if (ScriptKind[kind] === undefined) throw invalid(`${field}.kind`, `${field}.kind ${kind} is not a script kind`);
  return {
    language: language === ScriptLanguage.TYPESCRIPT ? ("typescript" as const) : ("javascript" as const),
    kind: kind === ScriptKind.MODULE ? ("module" as const) : kind === ScriptKind.EXPRESSION ? ("expression" as const) : undefined,
  };
}

/** An argument as JSON; a number JSON cannot hold (NaN, ±Infinity, which binary protobuf carries) is the caller's error. */
export function argumentJson(name: string, value: Value): JsonObject[string] {
  let json: JsonObject[string];
  try {
    json = toJson(ValueSchema, value) as JsonObject[string];
  } catch (err) {
    throw invalid(`context.arguments.${name}`, `context.arguments.${name}: ${(err as Error).message}`);
  }
  // The depth a return value may have: what the binary decoders leave (~48 levels) is less than
  // JSON's (~98), so one bound keeps every door and encoding alike.
  if (valueNestsDeeper(json, MAX_VALUE_DEPTH)) {
    throw invalid(`context.arguments.${name}`, `context.arguments.${name}: it nests deeper than ${MAX_VALUE_DEPTH} levels of arrays and objects`);
  }
  return json;
}
