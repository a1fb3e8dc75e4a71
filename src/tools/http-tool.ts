// The built-in `http` host tool: a fetch on the script's behalf, for the levels that grant
// network. Production may reach only hosts on the configured allow-list; Development any host.
// Bodies are text, capped; the trace context is passed on when present.
import { context, propagation } from "@opentelemetry/api";
import type { JsonValue } from "../engine/index.ts";
import { ToolError } from "./tool-error.ts";
import { fitJsonText } from "./fit-text.ts";

export interface HttpToolOptions {
  /** Hosts (exact, or "*.example.com") Production may reach; Development ignores it. */
  allowList: string[];
  /** Body bytes read; the rest is not downloaded. */
  maxResponseBytes: number;
  /**
   * The result's size as JSON (max_tool_payload_bytes, checked by the engine): the body is cut to
   * fit it. Twice maxResponseBytes when not given, as the bridge's callers size the two.
   */
  maxResultBytes?: number;
  timeoutMs: number;
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

export function hostAllowed(host: string, allowList: string[]): boolean {
  const h = host.toLowerCase();
  return allowList.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith("*.") ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

export async function httpTool(
  args: JsonValue,
  level: "production" | "development",
  options: HttpToolOptions,
  signal: AbortSignal,
  reportIo: (networkBytes: number, fileBytes: number) => void,
): Promise<JsonValue> {
  const a = (typeof args === "string" ? { url: args } : args) as { url?: unknown; method?: unknown; headers?: unknown; body?: unknown };
  if (!a || typeof a !== "object" || typeof a.url !== "string") throw new ToolError("http: expected { url, method?, headers?, body? }");
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    throw new ToolError(`http: not a URL: ${String(a.url).slice(0, 200)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ToolError("http: only http and https URLs");
  if (level === "production" && !hostAllowed(url.hostname, options.allowList)) {
    throw new ToolError(`http: host ${url.hostname} is not on the allow-list`, "security_violation");
  }
  const method = typeof a.method === "string" ? a.method.toUpperCase() : "GET";
  if (!METHODS.has(method)) throw new ToolError(`http: method ${method} is not allowed`);
  const headers = new Headers();
  if (a.headers && typeof a.headers === "object") {
    for (const [k, v] of Object.entries(a.headers as Record<string, unknown>)) if (typeof v === "string") headers.set(k, v);
  }
  // The trace goes on with the request: the W3C traceparent of the tool's span replaces any the
  // script set. A no-op when telemetry is off.
  propagation.inject(context.active(), headers, { set: (h, k, v) => h.set(k, v) });
  const body = typeof a.body === "string" ? a.body : a.body === undefined ? undefined : JSON.stringify(a.body);
  const res = await fetch(url, {
    method,
    headers,
    body: method === "GET" || method === "HEAD" ? undefined : body,
    redirect: "manual",
    signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
  }).catch((err: Error) => {
    throw new ToolError(`http: ${err.name === "TimeoutError" ? "timed out" : err.message}`);
  });
  // Read at most maxResponseBytes; the rest is not downloaded. Decoded as it comes: a character
  // the cut splits is left out rather than made U+FFFD.
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  let truncated = false;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > options.maxResponseBytes) {
      text += decoder.decode(value.subarray(0, options.maxResponseBytes - size), { stream: true });
      size = options.maxResponseBytes;
      truncated = true;
      await reader.cancel();
      break;
    }
    text += decoder.decode(value, { stream: true });
    size += value.byteLength;
  }
  if (!truncated) text += decoder.decode();
  reportIo(size + (body?.length ?? 0), 0);
  // Repeated headers come joined with ", ", which Set-Cookie values may hold themselves: those
  // come as an array, one entry per header.
  const responseHeaders: Record<string, string | string[]> = {};
  res.headers.forEach((v, k) => {
    if (k !== "set-cookie") responseHeaders[k] = v;
  });
  const cookies = res.headers.getSetCookie();
  if (cookies.length) responseHeaders["set-cookie"] = cookies;
  return fitResult({ status: res.status, headers: responseHeaders }, text, truncated, options.maxResultBytes ?? 2 * options.maxResponseBytes);
}

/**
 * The result with as much of the body as fits `cap` once JSON: escaped, text can be 6 times the
 * bytes it came from, so a body under maxResponseBytes may still not fit.
 */
function fitResult(head: { status: number; headers: Record<string, string | string[]> }, text: string, truncated: boolean, cap: number): JsonValue {
  // Sized with truncated: false, the longer of its two values.
  const envelope = Buffer.byteLength(JSON.stringify({ ...head, body: "", truncated: false }));
  if (envelope > cap) throw new ToolError(`http: the response's headers alone exceed ${cap} bytes`);
  const fit = fitJsonText(text, cap - envelope);
  return { ...head, body: fit.text, truncated: truncated || fit.truncated };
}
