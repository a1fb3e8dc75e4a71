// The built-in `http` host tool: a fetch on the script's behalf, for the levels that grant
// network. Production may reach only hosts on the configured allow-list; Development any host.
// Bodies are text, capped; the trace goes on (traceparent) when there is one.
import { AsyncLocalStorage } from "node:async_hooks";
import { subscribe } from "node:diagnostics_channel";
import { context, propagation } from "@opentelemetry/api";
import type { JsonValue } from "../engine/index.ts";
import { ToolError } from "./tool-error.ts";
import { fitTextResult } from "./fit-text.ts";
import { clipText } from "../errors.ts";
import { count } from "../count-noun.ts";
import { SCRIPT_REQUEST_HEADER } from "../auth/principal.ts";

// fetch decodes a compressed body before its reader sees it (a 10 KB gzip of 10 MB reads as
// 10 MB), and a Content-Length, when there is one, says nothing of a body cut short. What crossed
// is told by the HTTP client itself: fetch's undici publishes each body chunk as it came off the
// connection. A request is tied to its call by the async context its fetch was made in.
const wireCounter = new AsyncLocalStorage<{ received: number }>();
const wireOf = new WeakMap<object, { received: number }>();
subscribe("undici:request:create", (message) => {
  const counter = wireCounter.getStore();
  if (counter) wireOf.set((message as { request: object }).request, counter);
});
subscribe("undici:request:bodyChunkReceived", (message) => {
  const { request, chunk } = message as { request: object; chunk: Uint8Array };
  const counter = wireOf.get(request);
  if (counter) counter.received += chunk.byteLength;
});

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

/** The most of the script's own host or method an error quotes: it is the script's text, any length. */
const MAX_QUOTED_BYTES = 200;

// Headers that frame the request or manage the connection: the client sets them from the URL and
// the body. A script's are dropped: a short Content-Length stalled the request until its timeout,
// and the client refused the others outright.
const FRAMING = new Set(["content-length", "host", "transfer-encoding", "connection", "keep-alive", "upgrade", "expect", "te", "trailer"]);
const setByClient = (name: string) => FRAMING.has(name) || name.startsWith("proxy-") || name === SCRIPT_REQUEST_HEADER;

export function hostAllowed(host: string, allowList: string[]): boolean {
  const h = host.toLowerCase();
  return allowList.some((entry) => {
    const e = entry.toLowerCase();
    return e.startsWith("*.") ? h.endsWith(e.slice(1)) && h.length > e.length - 1 : h === e;
  });
}

/** An execution's http requests (max_network_requests): one is taken for each request sent. */
export interface RequestBudget {
  used: number;
  readonly max: number;
}

export async function httpTool(
  args: JsonValue | undefined,
  level: "production" | "development",
  options: HttpToolOptions,
  signal: AbortSignal,
  reportIo: (networkBytes: number, fileBytes: number) => void,
  requests?: RequestBudget,
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
    throw new ToolError(`http: host ${clipText(url.hostname, MAX_QUOTED_BYTES)} is not on the allow-list`, "security_violation");
  }
  // A method, headers or a header's value of another type was once left out without a word (a
  // numeric method made the request a GET, its body dropped); null stands for "not given".
  if (a.method != null && typeof a.method !== "string") throw new ToolError("http: method must be a string");
  const method = typeof a.method === "string" ? a.method.toUpperCase() : "GET";
  if (!METHODS.has(method)) throw new ToolError(`http: method ${clipText(method, MAX_QUOTED_BYTES)} is not allowed`);
  if (a.headers != null && (typeof a.headers !== "object" || Array.isArray(a.headers))) throw new ToolError("http: headers must be an object of names and values");
  const headers = new Headers();
  if (a.headers) {
    for (const [k, v] of Object.entries(a.headers as Record<string, unknown>)) {
      if (v === null || setByClient(k.toLowerCase())) continue;
      if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
        throw new ToolError(`http: header ${JSON.stringify(k.slice(0, 100))}: the value must be a string, number or boolean`);
      }
      try {
        headers.set(k, String(v));
      } catch {
        throw new ToolError(`http: header ${JSON.stringify(k.slice(0, 100))}: not a valid header name or value`);
      }
    }
  }
  // The trace goes on with the request: the tool span's W3C traceparent replaces one the script
  // set. Nothing else is: the caller's tracestate, like its baggage (telemetry/index.ts), may hold
  // tenant or account ids no host a script reaches should get; a script's own is sent as set.
  // A no-op when telemetry is off.
  const trace: Record<string, string> = {};
  propagation.inject(context.active(), trace);
  if (trace.traceparent !== undefined) headers.set("traceparent", trace.traceparent);
  // A string is sent as it is; any other JSON value as its JSON, typed so unless the script typed
  // it; null, like a header's, is "no body". A GET or HEAD carries none: one given fails the call
  // rather than being dropped unsaid.
  const sent = a.body == null ? undefined : typeof a.body === "string" ? a.body : JSON.stringify(a.body);
  if (sent !== undefined && (method === "GET" || method === "HEAD")) throw new ToolError(`http: a ${method} request has no body (send one with POST, PUT, PATCH or DELETE)`);
  if (sent !== undefined && typeof a.body !== "string" && !headers.has("content-type")) headers.set("content-type", "application/json");
  // The I/O counted is what crossed, as bytes: the headers set here (not the few the client
  // adds) and the body out, the body in as it came (compressed, when it was). Counted on failure
  // too: a request that times out or breaks mid-body has sent it.
  let requestBytes = sent === undefined ? 0 : Buffer.byteLength(sent);
  headers.forEach((v, k) => (requestBytes += Buffer.byteLength(k) + Buffer.byteLength(v) + 4)); // "k: v\r\n"
  // Not counted, like the headers the client adds; a script's own was dropped above.
  headers.set(SCRIPT_REQUEST_HEADER, "1");
  // Taken only now: a call refused before (its arguments, its scheme, a host off the allow-list)
  // sends nothing. Nor does one fetch refuses itself (a bad port): its is given back.
  if (requests && ++requests.used > requests.max) {
    requests.used--;
    throw new ToolError(`http: more than ${count(requests.max, "request")} in one execution (limit ${requests.max}: resource_limits.max_network_requests, the configuration's or the request's)`);
  }
  const io = { sent: 0, received: 0 };
  const wire = { received: 0 };
  try {
    const res = await wireCounter.run(wire, () =>
      fetch(url, {
        method,
        headers,
        body: sent,
        redirect: "manual",
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]),
      }),
    ).catch((err: Error) => {
      if (requests && badPort(err)) requests.used--;
      if (!neverSent(err)) io.sent = requestBytes;
      throw new ToolError(`http: ${failure(err, url)}`);
    });
    io.sent = requestBytes;
    const { text, truncated } = await readBody(res, options.maxResponseBytes, io).catch((err: Error) => {
      throw new ToolError(`http: reading the body: ${failure(err, url)}`);
    });
    // Repeated headers come joined with ", ", which Set-Cookie values may hold themselves: those
    // come as an array, one entry per header.
    const responseHeaders: Record<string, string | string[]> = {};
    res.headers.forEach((v, k) => {
      if (k !== "set-cookie") responseHeaders[k] = v;
    });
    const cookies = res.headers.getSetCookie();
    if (cookies.length) responseHeaders["set-cookie"] = cookies;
    // As much of the body as fits once JSON: escaped, text can be 6 times the bytes it came from.
    return fitTextResult("http", { status: res.status, headers: responseHeaders }, "body", text, truncated, options.maxResultBytes ?? 2 * options.maxResponseBytes) as JsonValue;
  } finally {
    // The body as read (decoded) only when the client told of none: a Node whose undici publishes
    // no body chunks.
    reportIo(io.sent + (wire.received > 0 ? wire.received : io.received), 0);
  }
}

/** Failures before a connection was made: nothing of the request went out. */
const NOT_CONNECTED = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_FAIL", "ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_INVALID_ARG", "UND_ERR_NOT_SUPPORTED"]);

function neverSent(err: Error): boolean {
  if (err.name === "AbortError" || err.name === "TimeoutError") return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  // fetch's own refusals (a bad port, say) carry no code.
  return typeof code !== "string" || NOT_CONNECTED.has(code);
}

/** fetch's refusal of a port the Fetch standard blocks: made before any connection. */
const badPort = (err: Error) => (err.cause as { message?: unknown } | undefined)?.message === "bad port";

/** What fetch's own causes mean, for the codes that say it plainly. */
const CAUSES: Record<string, string> = {
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host lookup failed (temporary)",
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "connect timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_SOCKET: "connection closed by the server",
  UND_ERR_HEADERS_OVERFLOW: "response headers too large",
  // The client's own assertion, its source line for text: a 101 to a request that asked no upgrade trips it.
  ERR_ASSERTION: "an answer the HTTP client cannot take, such as a 101 Switching Protocols",
  // A certificate not trusted: Node's text goes on with advice for its own command line (--use-system-ca).
  DEPTH_ZERO_SELF_SIGNED_CERT: "self-signed certificate",
  SELF_SIGNED_CERT_IN_CHAIN: "self-signed certificate in certificate chain",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "unable to verify the first certificate",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "unable to get local issuer certificate",
};

// IP literals (v6 first: it may end in a v4 one); a port after a v6 one is taken with it.
const ADDRESS = /(?<![\w.:])(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?(?![\w.:])|\b\d{1,3}(?:\.\d{1,3}){3}\b/gi;

/**
 * Why a request failed, from fetch's error and its cause ("fetch failed" alone says nothing). The
 * cause's text may name the addresses the host resolved to: only the URL's own host is kept.
 */
function failure(err: Error, url: URL): string {
  if (err.name === "TimeoutError") return "timed out";
  if (err.name === "AbortError") return "aborted";
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const code = typeof cause?.code === "string" ? cause.code : undefined;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const text = CAUSES[code ?? ""] ?? (typeof cause?.message === "string" ? cause.message.slice(0, 300).replace(ADDRESS, (ip) => (ip.toLowerCase() === host ? ip : "(address)")) : "");
  return `${err.message}${text ? `: ${text}` : ""}${code ? ` (${code})` : ""}`;
}

/**
 * Keeps at most `max` bytes of the body, counting what it reads (decoded) into `io`; the rest
 * is not downloaded. Decoded as it comes: a character the cut splits is left out rather than made U+FFFD.
 */
async function readBody(res: Response, max: number, io: { received: number }): Promise<{ text: string; truncated: boolean }> {
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let kept = 0;
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = max - kept;
    io.received += value.byteLength;
    if (value.byteLength > room) {
      text += decoder.decode(value.subarray(0, room), { stream: true });
      await reader.cancel();
      return { text, truncated: true };
    }
    text += decoder.decode(value, { stream: true });
    kept += value.byteLength;
  }
  return { text: text + decoder.decode(), truncated: false };
}
