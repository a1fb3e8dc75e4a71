// OpenTelemetry's own warnings and errors (a collector down or refusing exports, a span the SDK
// finds inconsistent) as service log lines. Some fire with the traffic, so each kind of message is
// written at most once a minute; kinds are told apart by the message's first words, so a noisy kind
// cannot take the slot of another (export failures stay visible under a flood of anything else).
// Export failures are throttled apart: however many other kinds turn up, they cannot push them into
// the shared slot that kinds past the throttle's cap fall into.
// The message may be a serialized error with its stack and a collector's answer: it is clipped.
import type { DiagLogger } from "@opentelemetry/api";
import type { Logger } from "../log.ts";
import { clipText } from "../errors.ts";
import { throttledWarn, type ThrottleOptions } from "../log-throttle.ts";

const MAX_MESSAGE_BYTES = 512;
const MAX_DETAIL_BYTES = 512;

export function diagToLog(log: Logger, options?: ThrottleOptions): DiagLogger {
  const warn = throttledWarn(log, options);
  const exportWarn = throttledWarn(log, options);
  const say = (message: string, args: unknown[]) =>
    (isExportFailure(message) ? exportWarn : warn)(diagKind(message), "telemetry: " + clipText(message, MAX_MESSAGE_BYTES), { detail: clipText(args.map(String).join(" "), MAX_DETAIL_BYTES) });
  const quiet = () => {};
  return { error: (m, ...a) => say(String(m), a), warn: (m, ...a) => say(String(m), a), info: quiet, debug: quiet, verbose: quiet };
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
