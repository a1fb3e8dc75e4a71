// OpenTelemetry's own warnings and errors (a collector down or refusing exports, a span the SDK
// finds inconsistent) as service log lines. Some fire with the traffic, so each kind of message is
// written at most once a minute; kinds are told apart by the message's first words, so a noisy kind
// cannot take the slot of another (export failures stay visible under a flood of anything else).
// Export failures are throttled apart: however many other kinds turn up, they cannot push them into
// the shared slot that kinds past the throttle's cap fall into.
// An export failure usually reaches diag as an error OTel's global error handler serialized as JSON,
// its stack first: logged so, the line was mostly stack frames, and a clip could cut the status code
// and the collector's answer, which come last. Such a message is read instead: the line says the
// error's message (after its name, unless a plain Error), with its `code`, the collector's answer (`data`) and the first frame
// (`at`) as fields. Any other message, or one too long to read, is clipped as it is.
import type { DiagLogger } from "@opentelemetry/api";
import type { Logger } from "../log.ts";
import { clipText } from "../errors.ts";
import { throttledWarn, type ThrottleOptions } from "../log-throttle.ts";

const MAX_MESSAGE_BYTES = 512;
const MAX_DETAIL_BYTES = 512;
/** A serialized error longer than this is clipped unread (a collector's answer, which it quotes, may be 4 MB). */
const MAX_READ_CHARS = 1024 * 1024;

export function diagToLog(log: Logger, options?: ThrottleOptions): DiagLogger {
  const warn = throttledWarn(log, options);
  const exportWarn = throttledWarn(log, options);
  const say = (message: string, args: unknown[]) => {
    const error = serializedError(message);
    const text = error?.text ?? message;
    (isExportFailure(message) ? exportWarn : warn)(diagKind(text), "telemetry: " + clipText(text, MAX_MESSAGE_BYTES), {
      ...error?.fields,
      detail: clipText(args.map(String).join(" "), MAX_DETAIL_BYTES),
    });
  };
  const quiet = () => {};
  return { error: (m, ...a) => say(String(m), a), warn: (m, ...a) => say(String(m), a), info: quiet, debug: quiet, verbose: quiet };
}

/**
 * An error as OTel's global error handler serializes it (`{"stack":…,"message":…,"code":…}`): its
 * message, after its name unless that is a plain "Error" (else its stack's first line), and the
 * fields worth a line; undefined for any other message.
 */
export function serializedError(message: string): { text: string; fields: Record<string, string> } | undefined {
  if (!message.startsWith('{"stack":') || message.length > MAX_READ_CHARS) return undefined;
  let e: unknown;
  try {
    e = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof e !== "object" || e === null) return undefined;
  const { stack, message: said, name, code, data } = e as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);
  const lines = (text(stack) ?? "").split("\n");
  const fields: Record<string, string> = {};
  if (text(code)) fields.code = clipText(text(code)!, 64);
  if (text(data)) fields.data = clipText(text(data)!, MAX_DETAIL_BYTES);
  const at = lines.find((l) => /^\s+at /.test(l));
  if (at) fields.at = clipText(at.trim().slice(3), 256);
  // A plain Error's name says nothing its message does not ("connect ECONNREFUSED 127.0.0.1:4318").
  const named = text(name) && text(name) !== "Error" ? `${text(name)}: ` : "";
  return { text: text(said) !== undefined ? named + text(said) : lines[0] || message, fields };
}

/**
 * A message's first words, letters only: what tells two kinds apart, without the numbers,
 * addresses or ids that vary within one kind (the throttle bounds the number of kinds anyway).
 */
export function diagKind(message: string): string {
  return message.slice(0, 200).toLowerCase().split(/[^a-z]+/).filter(Boolean).slice(0, 4).join(" ");
}

/**
 * An export that failed: the exporters' and metric readers' own messages name the export, and an
 * error a span processor or reader gets back from its exporter (a refused connection, a timeout,
 * a collector's answer) reaches diag through OTel's global error handler, serialized as JSON.
 */
export function isExportFailure(message: string): boolean {
  return message.startsWith('{"stack":') || /export/i.test(message.slice(0, 300));
}
