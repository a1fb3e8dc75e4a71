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
// (`at`) as fields. Any other message, or one too long to read, is clipped as it is. A metrics
// reader's failure quotes its exporter's error as text only: its `code` and `data` are taken from
// the exporter's error itself (watchMetricsExportErrors), so both signals' lines say them.
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
      ...exporterFields(text, args),
      ...error?.fields,
      detail: clipText(args.map(String).join(" "), MAX_DETAIL_BYTES),
    });
  };
  const quiet = () => {};
  return { error: (m, ...a) => say(String(m), a), warn: (m, ...a) => say(String(m), a), info: quiet, debug: quiet, verbose: quiet };
}

const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : undefined);

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
  const lines = (text(stack) ?? "").split("\n");
  const fields = codeAndData({ code, data });
  const at = lines.find((l) => /^\s+at /.test(l));
  if (at) fields.at = clipText(at.trim().slice(3), 256);
  // A plain Error's name says nothing its message does not ("connect ECONNREFUSED 127.0.0.1:4318").
  const named = text(name) && text(name) !== "Error" ? `${text(name)}: ` : "";
  return { text: text(said) !== undefined ? named + text(said) : lines[0] || message, fields };
}

/** An exporter error's status `code` and the collector's answer (`data`), bounded. */
function codeAndData(e: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (typeof e !== "object" || e === null) return fields;
  const { code, data } = e as Record<string, unknown>;
  if (text(code)) fields.code = clipText(text(code)!, 64);
  if (text(data)) fields.data = clipText(text(data)!.slice(0, MAX_READ_CHARS), MAX_DETAIL_BYTES);
  return fields;
}

/** The last error a metrics exporter returned to its reader, as the reader's message quotes it, and its fields. */
let lastMetricsExportError: { said: string; fields: Record<string, string> } | undefined;

interface ExportingReader {
  _exporter?: { export?: (metrics: unknown, done: (result: { error?: unknown }) => void) => void };
}

/**
 * A PeriodicExportingMetricReader reports a failed export as a new Error that quotes its
 * exporter's error as text ("metrics export failed (error OTLPExporterError: Unauthorized)"),
 * dropping the status code and the collector's answer that a span export failure's line carries.
 * Each reader's exporter is watched so that the line can say them too. A reader of another shape
 * (the Prometheus one, an SDK whose internals moved) is left as it is.
 */
export function watchMetricsExportErrors(readers: readonly unknown[]): void {
  for (const reader of readers) {
    const exporter = (reader as ExportingReader)._exporter;
    const original = exporter?.export;
    if (!exporter || typeof original !== "function") continue;
    exporter.export = (metrics, done) =>
      original.call(exporter, metrics, (result) => {
        if (result.error !== undefined) lastMetricsExportError = { said: String(result.error), fields: codeAndData(result.error) };
        done(result);
      });
  }
}

/**
 * The `code` and `data` of the exporter error behind a message: an error among diag's arguments
 * ("metrics export threw error", e), or the one a metrics reader's message quotes.
 */
function exporterFields(message: string, args: unknown[]): Record<string, string> {
  for (const arg of args) {
    const fields = codeAndData(arg);
    if (Object.keys(fields).length > 0) return fields;
  }
  const last = lastMetricsExportError;
  return last && message.includes(`(error ${last.said})`) ? last.fields : {};
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
