// An input for a migration's smoke run when the caller gave none: a value meant to satisfy the
// tool's input schema. It is a best effort (the caller checks it against the schema with the same
// validator a call uses); what it cannot satisfy makes the smoke run a warning, not a failure.
// It runs on the server's event loop, so what it builds is bounded: a schema asking for more (a
// minLength of 1e7, a minItems of 1e9, arrays of arrays) gets no input, and the caller asks for
// smoke_run_arguments instead.
import type { JsonValue } from "../engine/index.ts";
import { MAX_LENGTH, patternSample, type Slot } from "./sample-pattern.ts";

type Schema = Record<string, unknown>;
const MAX_DEPTH = 8;
/** Most items (or properties) one array (or object) gets, like a string's MAX_LENGTH. */
const MAX_ITEMS = MAX_LENGTH;
/** Most characters, items and properties one input holds in all (nesting multiplies them). */
const MAX_SIZE = 16 * MAX_LENGTH;
/** Most candidates tried in all in search of distinct numbers (uniqueItems): ~0.1 s of work. */
const MAX_STEPS = 1 << 20;
/** Characters a string may use beyond "sample": enough to keep uniqueItems' items apart. */
const ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const FORMATS: Record<string, string> = {
  email: "user@example.com",
  "idn-email": "user@example.com",
  uri: "https://example.com/",
  "uri-reference": "https://example.com/",
  iri: "https://example.com/",
  url: "https://example.com/",
  hostname: "example.com",
  "idn-hostname": "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  date: "2024-01-01",
  "date-time": "2024-01-01T00:00:00Z",
  time: "00:00:00Z",
  duration: "P1D",
  uuid: "00000000-0000-4000-8000-000000000000",
};

/** The schema asks for more than an input is built with: why. */
class TooLarge extends Error {}

/**
 * Candidate inputs for `schema`, best first: one honouring its `default`/`examples` hints, one
 * built from its constraints alone (a default need not be valid). The caller keeps the first the
 * validator accepts. None, and why, when the schema asks for a bigger input than is built.
 */
export function sampleCandidates(schema: unknown): { candidates: JsonValue[]; why?: string } {
  const root = isSchema(schema) ? schema : {};
  const out: JsonValue[] = [];
  let why: string | undefined;
  for (const hints of [true, false]) {
    try {
      const v = new Sampler(root, hints).value(root, 0, 0);
      if (!out.some((o) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      why = err.message;
    }
  }
  return { candidates: out, why };
}

function isSchema(s: unknown): s is Schema {
  return s !== null && typeof s === "object" && !Array.isArray(s);
}
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);

class Sampler {
  readonly root: Schema;
  readonly hints: boolean;
  /** Characters, items and properties still to be built (MAX_SIZE in all). */
  #left = MAX_SIZE;
  #steps = MAX_STEPS;
  constructor(root: Schema, hints: boolean) {
    this.root = root;
    this.hints = hints;
  }

  /** Counts `n` more characters, items or properties against the input's size. */
  spend(n: number): void {
    this.#left -= n;
    if (this.#left < 0) throw new TooLarge(`the schema asks for an input of more than ${MAX_SIZE} characters, items and properties in all`);
  }

  /** Counts `n` numbers tried against the search's budget. */
  steps = (n: number): void => {
    this.#steps -= n;
    if (this.#steps < 0) throw new TooLarge(`the schema asks for more distinct numbers than a generated input looks for`);
  };

  /** A value for `schema`; `variant` > 0 asks for a different one (uniqueItems' later items). */
  value(schema: unknown, depth: number, variant: number): JsonValue {
    if (schema === true || schema === undefined) return null;
    if (!isSchema(schema) || depth > MAX_DEPTH) return null;
    let s = this.resolve(schema, depth);
    if (Array.isArray(s.allOf)) s = s.allOf.reduce<Schema>((acc, part) => merge(acc, this.resolve(isSchema(part) ? part : {}, depth)), omit(s, "allOf"));
    if ("const" in s) return s.const as JsonValue;
    if (Array.isArray(s.enum) && s.enum.length) return s.enum[variant % s.enum.length] as JsonValue;
    if (this.hints && variant === 0) {
      if (Array.isArray(s.examples) && s.examples.length) return s.examples[0] as JsonValue;
      if ("default" in s) return s.default as JsonValue;
    }
    for (const k of ["oneOf", "anyOf"]) {
      const branches = s[k];
      if (Array.isArray(branches) && branches.length) {
        // The branch merged with what sits beside the oneOf (a type, required properties).
        const branch = branches.find((b) => !(isSchema(b) && b.type === "null")) ?? branches[0];
        return this.value(merge(omit(s, k), isSchema(branch) ? this.resolve(branch, depth) : {}), depth + 1, variant);
      }
    }
    switch (typeOf(s)) {
      case "object":
        return this.object(s, depth, variant);
      case "array":
        return this.array(s, depth, variant);
      case "string": {
        const str = stringFor(s, variant);
        this.spend(str.length);
        return str;
      }
      case "integer":
        return numberFor(s, true, variant, this.steps);
      case "number":
        return numberFor(s, false, variant, this.steps);
      case "boolean":
        return variant % 2 === 1;
      case "null":
        return null;
      default:
        // No type, nothing that implies one: any value will do; an object is what a tool takes.
        return depth === 0 ? {} : null;
    }
  }

  /** A local `$ref` (`#/definitions/x`, `#/$defs/x`) replaced by what it points at. */
  resolve(s: Schema, depth: number): Schema {
    let cur = s;
    for (let hops = 0; typeof cur.$ref === "string" && hops <= MAX_DEPTH - depth; hops++) {
      const target = pointer(this.root, cur.$ref);
      if (!isSchema(target)) break;
      cur = merge(omit(cur, "$ref"), target);
    }
    return cur;
  }

  object(s: Schema, depth: number, variant: number): JsonValue {
    const props = isSchema(s.properties) ? s.properties : {};
    const keys = new Set(Array.isArray(s.required) ? s.required.filter((k): k is string => typeof k === "string") : []);
    const min = num(s.minProperties) ?? 0;
    if (min > MAX_ITEMS) throw new TooLarge(`minProperties ${min} is more than a generated input has (${MAX_ITEMS})`);
    for (const k of Object.keys(props)) if (keys.size < min) keys.add(k);
    for (let i = 0; keys.size < min && s.additionalProperties !== false && i < min; i++) keys.add(`extra${i}`);
    // draft-07 `dependencies` (a list) and `dependentRequired`: a present key brings others.
    for (const deps of [s.dependencies, s.dependentRequired]) {
      if (!isSchema(deps)) continue;
      for (const k of [...keys]) if (Array.isArray(deps[k])) for (const d of deps[k] as unknown[]) if (typeof d === "string") keys.add(d);
    }
    this.spend(keys.size);
    const out: Record<string, JsonValue> = {};
    let first = true;
    for (const k of keys) {
      const sub = k in props ? props[k] : isSchema(s.additionalProperties) ? s.additionalProperties : undefined;
      // Only the first property varies: enough to tell two objects apart.
      out[k] = this.value(sub, depth + 1, first ? variant : 0);
      first = false;
    }
    return out;
  }

  array(s: Schema, depth: number, variant: number): JsonValue {
    // Tuple items: draft 2020 `prefixItems`, or draft-07 `items` as a list (then `additionalItems`).
    const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
    const rest = Array.isArray(s.items) ? s.additionalItems : s.items;
    let n = Math.max(num(s.minItems) ?? 0, s.contains !== undefined ? 1 : 0);
    const max = num(s.maxItems);
    if (max !== undefined) n = Math.min(n, max);
    if (n > MAX_ITEMS) throw new TooLarge(`minItems ${n} is more than a generated input has (${MAX_ITEMS})`);
    this.spend(n);
    const unique = s.uniqueItems === true;
    const out: JsonValue[] = [];
    for (let i = 0; i < n; i++) {
      const sub = i === 0 && s.contains !== undefined ? s.contains : i < prefix.length ? prefix[i] : rest;
      // Distinct items for uniqueItems: the i-th variant of the item schema (the first stays as a
      // plain sample would be, so `variant` of the array itself shifts them all).
      out.push(this.value(sub, depth + 1, unique ? i + variant : variant));
    }
    return out;
  }
}

function typeOf(s: Schema): string | undefined {
  if (Array.isArray(s.type)) return (s.type.find((t) => t !== "null") ?? s.type[0]) as string | undefined;
  if (typeof s.type === "string") return s.type;
  // No type: one the keywords imply.
  if (s.properties !== undefined || s.required !== undefined || s.additionalProperties !== undefined || s.minProperties !== undefined) return "object";
  if (s.items !== undefined || s.prefixItems !== undefined || s.minItems !== undefined || s.contains !== undefined) return "array";
  if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern !== undefined || s.format !== undefined) return "string";
  if (["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"].some((k) => s[k] !== undefined)) return "number";
  return undefined;
}

/** `b` folded into `a`: properties merged, required joined, each bound the tighter of the two. */
function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...b, ...a };
  if (isSchema(a.properties) || isSchema(b.properties)) out.properties = { ...(b.properties as Schema), ...(a.properties as Schema) };
  if (Array.isArray(a.required) || Array.isArray(b.required)) out.required = [...new Set([...((a.required as unknown[]) ?? []), ...((b.required as unknown[]) ?? [])])];
  for (const k of ["minimum", "minLength", "minItems", "minProperties"]) {
    const v = [num(a[k]), num(b[k])].filter((x) => x !== undefined);
    if (v.length) out[k] = Math.max(...v);
  }
  for (const k of ["maximum", "maxLength", "maxItems", "maxProperties"]) {
    const v = [num(a[k]), num(b[k])].filter((x) => x !== undefined);
    if (v.length) out[k] = Math.min(...v);
  }
  if (a.type === undefined && b.type !== undefined) out.type = b.type;
  return out;
}

function omit(s: Schema, key: string): Schema {
  const { [key]: _dropped, ...rest } = s;
  return rest;
}

/** The schema a local JSON pointer (`#/a/b`) names, if any. */
function pointer(root: Schema, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (!isSchema(cur) || !Object.hasOwn(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function stringFor(s: Schema, variant: number): string {
  const min = Math.max(0, Math.ceil(num(s.minLength) ?? 0));
  const max = num(s.maxLength) ?? Infinity;
  if (min > MAX_LENGTH) throw new TooLarge(`minLength ${min} is more than a generated input has (${MAX_LENGTH})`);
  if (typeof s.pattern === "string") {
    const slots = patternSample(s.pattern, min, max);
    if (slots) return vary(slots.map((slot) => slot[0] ?? ""), (i) => slots[i]!, variant);
  }
  if (typeof s.format === "string" && Object.hasOwn(FORMATS, s.format) && variant === 0) {
    const f = FORMATS[s.format]!;
    if (f.length >= min && f.length <= max) return f;
  }
  // "sample", cut or padded to the bounds (a pattern it cannot follow is left to the validator);
  // a variant changes its last characters to others of ALPHABET (each choice once: distinct variants).
  const len = Math.min(Math.max("sample".length, min), max);
  const base = [..."sample".slice(0, len).padEnd(len, "x")];
  return vary(base, (i) => base[i]! + ALPHABET.replace(base[i]!, ""), variant);
}

/**
 * The `variant`-th string from `chars` (each position's first choice), counting from the last
 * position (mixed radix over `choices(i)`): only the few last positions change.
 */
function vary(chars: string[], choices: (i: number) => Slot | string, variant: number): string {
  let v = variant;
  for (let i = chars.length - 1; i >= 0 && v > 0; i--) {
    const c = choices(i);
    chars[i] = c[v % c.length]!;
    v = Math.floor(v / c.length);
  }
  return chars.join("");
}

/** The `variant`-th number the bounds allow; `steps` is told how many were tried. */
function numberFor(s: Schema, integer: boolean, variant: number, steps: (n: number) => void): number {
  // Bounds, in draft-07 (numbers) or draft-04 (boolean exclusive flags) form.
  let lo = num(s.minimum);
  let hi = num(s.maximum);
  let loEx = false;
  let hiEx = false;
  const exMin = num(s.exclusiveMinimum);
  const exMax = num(s.exclusiveMaximum);
  if (exMin !== undefined && (lo === undefined || exMin >= lo)) [lo, loEx] = [exMin, true];
  else if (s.exclusiveMinimum === true && lo !== undefined) loEx = true;
  if (exMax !== undefined && (hi === undefined || exMax <= hi)) [hi, hiEx] = [exMax, true];
  else if (s.exclusiveMaximum === true && hi !== undefined) hiEx = true;
  const above = (x: number) => lo === undefined || (loEx ? x > lo : x >= lo);
  const below = (x: number) => hi === undefined || (hiEx ? x < hi : x <= hi);
  const step = num(s.multipleOf);
  const fits = (x: number) => above(x) && below(x) && (!integer || Number.isInteger(x)) && (step === undefined || step <= 0 || Number.isInteger(x / step));

  // Where to start: 1 when the bounds allow it (what a sample always was), else at a bound.
  let start = 1;
  if (!above(start)) {
    const l = lo!;
    start = loEx ? (integer ? Math.floor(l) + 1 : hi !== undefined && hi - l <= 1 ? (l + hi) / 2 : l + 1) : integer ? Math.ceil(l) : l;
  } else if (!below(start)) {
    const h = hi!;
    start = hiEx ? (integer ? Math.ceil(h) - 1 : lo !== undefined && h - lo <= 1 ? (lo + h) / 2 : h - 1) : integer ? Math.floor(h) : h;
  }
  if (step !== undefined && step > 0) {
    // Multiples of the step: upward from the lower bound, or downward towards the upper one.
    const up = lo !== undefined || hi === undefined;
    let k = up ? Math.ceil((lo ?? start) / step) : Math.min(Math.floor(hi! / step), Math.ceil(start / step));
    let i = 0;
    for (let seen = 0; i < 1000; i++, k += up ? 1 : -1) {
      const x = k * step;
      if (fits(x) && seen++ === variant) {
        steps(i);
        return x;
      }
      if (up ? !below(x) : !above(x)) break;
    }
    steps(i);
    return start;
  }
  // The variant-th value that fits, nearest the start first (finer steps for a narrow range of reals).
  const seen = new Set<number>();
  for (const unit of integer ? [1] : [1, 1 / 4, 1 / 64, 1 / 1024]) {
    let j = 0;
    for (; j < 2000; j++) {
      // Both ways out of the bounds: nothing further fits (a narrow range ends here, not at 2000).
      if (j % 2 === 0 && j > 0 && !below(start + (j / 2) * unit) && !above(start - (j / 2) * unit)) break;
      const x = start + (j % 2 === 0 ? j / 2 : -(j + 1) / 2) * unit;
      if (!fits(x) || seen.has(x)) continue;
      seen.add(x);
      if (seen.size > variant) {
        steps(j);
        return x;
      }
    }
    steps(j);
  }
  return start;
}
