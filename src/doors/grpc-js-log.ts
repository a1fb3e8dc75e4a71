// grpc-js's own error-level diagnostics, as service log lines. Most are triggered by what a
// client sends, before any authentication: a header grpc-js refuses as metadata is reported with
// its value (which may be a token, e.g. "authorization: Bearer\t<token>"). So header values are
// never logged, every detail is clipped, and each kind is written at most once a minute.
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
  return { kind: "other", detail: clipText(redactCredentials(clipText(text, 4096)), MAX_DETAIL_BYTES) };
}

/** Anything that looks like a credential, masked (a safety net: no known message carries one). */
function redactCredentials(text: string): string {
  return text
    .replace(/\b(bearer|basic)(\s+)\S+/gi, "$1$2[redacted]")
    .replace(/\b(authorization|x-api-key|cookie)(["']?\s*[:=]\s*)("[^"]*"|\S+)/gi, "$1$2[redacted]");
}

/** A logger for grpc.setLogger: error-level lines become throttled, sanitized warn lines. */
export function grpcJsLogger(log: Logger): Partial<Console> {
  const warn = throttledWarn(log);
  const say = (...args: unknown[]) => {
    const { kind, detail } = describeGrpcJsMessage(args.map(String).join(" "));
    warn(kind, "grpc-js", { detail });
  };
  return { error: say, info: say, debug: say };
}
