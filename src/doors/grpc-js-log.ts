// grpc-js's own diagnostics, as service log lines. Most of its error-level lines are triggered by
// what a client sends, before any authentication: a header grpc-js refuses as metadata is reported
// with its value (which may be a token, e.g. "authorization: Bearer\t<token>"). So header values
// are never logged, every detail is clipped, and each kind of error line becomes a warn at most
// once a minute. Info and debug lines (GRPC_VERBOSITY) are the operator's own tracing: they go to
// the debug level, sanitized alike, never into the throttled warn path.
import type { Logger } from "../log.ts";
import { clipText } from "../errors.ts";
import { throttledWarn } from "../log-throttle.ts";

const MAX_DETAIL_BYTES = 256;
const MAX_KEY_BYTES = 64;

/** The kind of a grpc-js message and what of it may be logged. */
export function describeGrpcJsMessage(text: string): { kind: string; detail: string } {
  // "Failed to add metadata entry <key>: <value>. Metadata key|string value "..." contains illegal characters. ..."
  // A header name holds no ':', so the key ends at the first one; everything after it may quote the value.
  const entry = /^Failed to add metadata entry ([^:]*):/.exec(text);
  if (entry) {
    const part = /Metadata key "/.test(text.slice(entry[0].length)) ? "key" : "value";
    return { kind: "metadata", detail: `refused request metadata entry "${clipText(entry[1]!, MAX_KEY_BYTES)}" (illegal ${part}; value not logged)` };
  }
  return { kind: `other:${firstWords(text)}`, detail: clipText(redactCredentials(clipText(text, 4096)), MAX_DETAIL_BYTES) };
}

/**
 * A message's first words, letters only: what tells grpc-js's messages apart, without the numbers,
 * addresses or quoted values that vary between two of one kind (so one noisy kind cannot hide
 * another for a minute, and the kinds stay few; the throttle bounds them anyway).
 */
function firstWords(text: string): string {
  return text.slice(0, 200).toLowerCase().split(/[^a-z]+/).filter(Boolean).slice(0, 4).join(" ");
}

/** Anything that looks like a credential, masked (a safety net: no known message carries one). */
function redactCredentials(text: string): string {
  return text
    .replace(/\b(bearer|basic)(\s+)\S+/gi, "$1$2[redacted]")
    .replace(/\b(authorization|x-api-key|cookie)(["']?\s*[:=]\s*)("[^"]*"|\S+)/gi, "$1$2[redacted]");
}

/** The kind of grpc-js's "No address added out of total N resolved" (describeGrpcJsMessage). */
const BIND_FAILED = "other:no address added out";

/**
 * A logger for grpc.setLogger: error-level lines become throttled, sanitized warn lines; info and
 * debug lines sanitized debug lines. All three are given: grpc-js sends a level it finds no
 * function for to `error`.
 */
export function grpcJsLogger(log: Logger): Pick<Console, "error" | "info" | "debug"> {
  const warn = throttledWarn(log);
  const text = (args: unknown[]) => describeGrpcJsMessage(args.map(String).join(" "));
  return {
    error: (...args: unknown[]) => {
      const { kind, detail } = text(args);
      // A bind that failed: bindAsync's callback gets the same error, and the server exits with one
      // clear line naming the address and its key (ListenError). A warn line before it was noise.
      if (kind === BIND_FAILED) return log.debug("grpc-js", { grpc_level: "error", detail });
      warn(kind, "grpc-js", { detail });
    },
    info: (...args: unknown[]) => log.debug("grpc-js", { grpc_level: "info", detail: text(args).detail }),
    debug: (...args: unknown[]) => log.debug("grpc-js", { grpc_level: "debug", detail: text(args).detail }),
  };
}
