// Script arguments as JSON, the rule all three SDKs follow: each value is sent as the language's
// JSON encoder writes it (here JSON.stringify: toJSON is honoured, so a Date is its ISO string;
// undefined properties are left out, undefined array items become null), byte arrays as base64
// strings (as Go's encoding/json writes []byte). What JSON cannot hold (BigInt, functions,
// symbols, circular structures, NaN and ±Infinity, nesting past 32 levels, which the server refuses anyway) fails here,
// before anything is sent, as InvalidArgumentError naming the argument: JSON.stringify would
// drop some of these silently, and google.protobuf.Value cannot take the rest.
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { InvalidArgumentError } from "./errors.ts";

/** A value `run`/`execute` can send: JSON, or what JSON.stringify turns into JSON (Date, toJSON), or bytes. */
export type ArgumentValue =
  | JsonValue
  | undefined
  | Date
  | Uint8Array
  | { toJSON(key: string): unknown }
  | readonly ArgumentValue[]
  | { readonly [key: string]: ArgumentValue };

/** A JSON object of script arguments. */
export type Arguments = Record<string, ArgumentValue>;

/**
 * What `run`/`execute` take as arguments: `T` when it is an object (not an array) each of whose
 * properties is an ArgumentValue, or an object or array of them. Unlike `Arguments` (an index signature) it takes objects typed by an
 * interface, which TypeScript never lets match an index signature. A property that is a function, a
 * symbol or a BigInt, or of type unknown, becomes `never` here, so passing it is a type error.
 */
export type ArgumentsOf<T> = object & { [K in keyof T as K extends string ? K : never]: ArgumentOf<T[K]> };

/** One property of ArgumentsOf: as it is when an ArgumentValue already, else checked member by member. */
type ArgumentOf<T> = T extends ArgumentValue
  ? T
  : T extends ((...args: never[]) => unknown) | symbol | bigint
    ? never
    : T extends object
      ? { [K in keyof T]: ArgumentOf<T[K]> }
      : never;

/** How deep arrays and objects may nest in one argument: the server's bound (as for return values). */
export const MAX_ARGUMENT_DEPTH = 32;

/** Something JSON cannot hold, at `path`. */
class NotJson extends Error {}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const child = (path: string, key: string) => (IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);

/** `value` as JSON.stringify would write it under `key`; undefined where it would leave it out. */
function toJsonValue(value: unknown, key: string, path: string, ancestors: Set<object>): JsonValue | undefined {
  if (value instanceof Uint8Array) return base64Encode(value); // before toJSON: a Buffer's is {type, data}
  if ((typeof value === "object" && value !== null) || typeof value === "bigint") {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") value = toJSON.call(value, key);
  }
  if (value instanceof Number) value = Number(value);
  else if (value instanceof String) value = String(value);
  else if (value instanceof Boolean || value instanceof BigInt) value = value.valueOf();
  switch (typeof value) {
    case "undefined":
      return undefined;
    case "boolean":
    case "string":
      return value;
    case "number":
      if (!Number.isFinite(value)) throw new NotJson(`${path} is ${value}`);
      return value === 0 ? 0 : value; // -0 is written 0
    case "bigint":
      throw new NotJson(`${path} is a BigInt (${value}n); send a number or a string`);
    case "function":
      throw new NotJson(`${path} is a function`);
    case "symbol":
      throw new NotJson(`${path} is a symbol`);
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Uint8Array) return base64Encode(object);
  if (ancestors.has(object)) throw new NotJson(`${path} refers back to an object that contains it (a circular structure)`);
  if (ancestors.size >= MAX_ARGUMENT_DEPTH) throw new NotJson(`${path}: it nests deeper than ${MAX_ARGUMENT_DEPTH} levels of arrays and objects`);
  ancestors.add(object);
  try {
    if (Array.isArray(object)) {
      const items: JsonValue[] = []; // by index, as JSON.stringify reads it: a hole is undefined, so null
      for (let i = 0; i < object.length; i++) items.push(toJsonValue((object as unknown[])[i], String(i), `${path}[${i}]`, ancestors) ?? null);
      return items;
    }
    const entries: [string, JsonValue][] = [];
    for (const k of Object.keys(object)) {
      const v = toJsonValue((object as Record<string, unknown>)[k], k, child(path, k), ancestors);
      if (v !== undefined) entries.push([k, v]);
    }
    return Object.fromEntries(entries); // own properties, "__proto__" included, as JSON.parse makes them
  } finally {
    ancestors.delete(object);
  }
}

function invalidArgument(name: string, description: string, cause?: unknown): InvalidArgumentError {
  const field = `context.arguments.${name}`;
  const detail = { desc: BadRequestSchema, value: { fieldViolations: [{ field, description }] } };
  return new InvalidArgumentError(new ConnectError(`argument ${JSON.stringify(name)}: ${description}`, Code.InvalidArgument, undefined, [detail], cause));
}

/** The arguments as google.protobuf.Values; an argument that is undefined is left out. */
export function argumentValues<A extends ArgumentsOf<A> = Arguments>(args: A | undefined): Record<string, Value> {
  const values: [string, Value][] = [];
  for (const [name, value] of Object.entries(args ?? {}) as [string, unknown][]) {
    let json: JsonValue | undefined;
    try {
      json = toJsonValue(value, name, child("", name).replace(/^\./, ""), new Set());
    } catch (e) {
      // A toJSON or getter of the caller's that throws is reported the same way, with its error as the cause.
      if (e instanceof NotJson) throw invalidArgument(name, `${e.message}, which JSON cannot hold`);
      throw invalidArgument(name, e instanceof Error ? e.message : String(e), e);
    }
    if (json !== undefined) values.push([name, fromJson(ValueSchema, json)]);
  }
  return Object.fromEntries(values);
}
