// A run's outcome as the API can carry it: a lone surrogate in its output, its error or a string or
// key of its value (a script's text may hold one) is U+FFFD, as binary protobuf writes it; proto3
// JSON clients refuse the whole message otherwise, wherever it goes (a result, a migration's
// report). The value is checked on its JSON text, so one with none is parsed as before, walked once.
/// <reference lib="es2024.string" />
import type { ErrorCause, ExecutionError, ExecutionOutcome } from './types.ts';

// JSON.stringify writes a lone surrogate as an escape and a pair as itself.
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/** Whether the JSON text may hold a lone surrogate (a false alarm costs only a slower parse). */
export const mayHoldLoneSurrogates = (json: string): boolean => SURROGATE_ESCAPE.test(json) || !json.isWellFormed();

/** A JSON.parse reviver making every string and key well-formed. */
export function wellFormedJson(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.every((k) => k.isWellFormed())) return value;
  // fromEntries defines each key, so "__proto__" stays a key; keys that now coincide keep the last value.
  return Object.fromEntries(keys.map((k) => [k.toWellFormed(), (value as Record<string, unknown>)[k]]));
}

type Tail = NonNullable<ExecutionOutcome['outputTail']>;

/** The output tail a limit's error carries, its text well-formed (a lone surrogate can sit at a cut). */
export function wellFormedTail(t: Tail): Tail {
  if (t.stdout.text.isWellFormed() && t.stderr.text.isWellFormed()) return t;
  return { stdout: { ...t.stdout, text: t.stdout.text.toWellFormed() }, stderr: { ...t.stderr, text: t.stderr.text.toWellFormed() } };
}

/** The error and its causes with their name, message and stack well-formed (a script sets them). */
export function wellFormedError(e: ExecutionError): ExecutionError {
  const causes = e.causes?.map(wellFormedCause), errors = e.errors?.map(wellFormedCause);
  return { ...wellFormedCause(e), ...(causes ? { causes } : {}), ...(errors ? { errors } : {}) };
}

function wellFormedCause<T extends ErrorCause>(e: T): T {
  if (e.name.isWellFormed() && e.message.isWellFormed() && e.stack.isWellFormed()) return e;
  return { ...e, name: e.name.toWellFormed(), message: e.message.toWellFormed(), stack: e.stack.toWellFormed() };
}
