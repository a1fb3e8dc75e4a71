// Global connection options → a ScriptEngineClient (the TypeScript SDK in clients/ts).
// Environment (the server's own SCRIPTENGINE_* names are reserved for its configuration):
//   SE_ADDRESS, SE_TOKEN, SE_TRANSPORT, SE_TLS=1|true|yes, SE_CA, SE_CERT and SE_KEY (PEM files).
import { readFileSync } from "node:fs";
import { createScriptEngineClient, type ScriptEngineClient } from "../../clients/ts/src/index.ts";
import { checkAddress } from "./address.ts";
import { CliError } from "./exit.ts";
import { checkTlsFiles } from "./tls-material.ts";

export interface GlobalOptions {
  address?: string;
  token?: string;
  transport?: string;
  tls?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
  json?: boolean;
}

const TRANSPORTS = ["grpc-js", "connect", "grpc-web", "grpc-http2"] as const;
type TransportName = (typeof TRANSPORTS)[number];

/** SE_TLS: a value that is neither on nor off is refused (SE_TLS=TRUE silently meant plaintext). */
function tlsFromEnv(value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "1" || v === "true" || v === "yes") return true;
  if (v === "" || v === "0" || v === "false" || v === "no") return false;
  throw new CliError(`SE_TLS must be 1, true or yes (or 0, false, no), got ${JSON.stringify(value)}`);
}

function readPem(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${flag} ${file}: ${(e as Error).message}`);
  }
}

/**
 * A token travels in a header, which carries visible ASCII only: a pasted non-breaking space made
 * grpc-js fail (exit 10) with an error quoting the whole token, and the HTTP transports sent no or
 * another credential. Refused here, naming where it is and never the token.
 */
function checkToken(token: string): void {
  const at = token.search(/[^\x21-\x7e]/);
  if (at < 0) return;
  const code = token.codePointAt(at)!.toString(16).toUpperCase().padStart(4, "0");
  throw new CliError(`--token (SE_TOKEN) holds a character a header cannot carry at offset ${at} (U+${code}): a token is visible ASCII`);
}

export function resolveConnection(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env) {
  // An empty variable is unset (as for the others: an exported but empty SE_ADDRESS is common);
  // an empty flag is a mistake, refused below.
  const transport = (o.transport ?? (env.SE_TRANSPORT || "grpc-js")) as TransportName;
  if (!TRANSPORTS.includes(transport)) throw new CliError(`--transport must be one of ${TRANSPORTS.join(", ")}, got ${JSON.stringify(transport)}`);
  const address = o.address ?? (env.SE_ADDRESS || (transport === "grpc-js" ? "127.0.0.1:50051" : "127.0.0.1:8080"));
  checkAddress(address, o.address !== undefined ? "--address" : "SE_ADDRESS", transport !== "grpc-js");
  // `--token "$TOKEN"` with TOKEN unset overrode SE_TOKEN and sent no credential at all.
  if (o.token === "") throw new CliError("--token is empty: give a token, or leave the flag out (SE_TOKEN)");
  const token = o.token ?? (env.SE_TOKEN || undefined);
  if (token) checkToken(token);
  // An empty flag silently meant "no TLS" or "no client certificate"; an empty variable is unset.
  for (const [flag, value] of [["--ca", o.ca], ["--cert", o.cert], ["--key", o.key]] as const) {
    if (value === "") throw new CliError(`${flag} is empty: give a PEM file`);
  }
  const caFile = o.ca ?? env.SE_CA;
  // The client certificate for mTLS: one half alone is a mistake, not plain TLS.
  const certFile = o.cert ?? env.SE_CERT;
  const keyFile = o.key ?? env.SE_KEY;
  if (Boolean(certFile) !== Boolean(keyFile)) {
    throw new CliError(`--cert and --key (SE_CERT, SE_KEY) go together: ${certFile ? "--key" : "--cert"} is missing`);
  }
  const tlsOn = Boolean(o.tls) || tlsFromEnv(env.SE_TLS) || Boolean(caFile) || Boolean(certFile);
  // The HTTP transports take the URL's scheme over --tls: an http:// URL would go out in plaintext.
  if (tlsOn && /^http:\/\//i.test(address)) {
    throw new CliError(`${JSON.stringify(address)} is plaintext, but TLS was asked for (--tls, --ca, --cert or SE_TLS, SE_CA, SE_CERT): use https://`);
  }
  const ca = caFile ? readPem("--ca", caFile) : undefined;
  const pair = certFile && keyFile ? { cert: readPem("--cert", certFile), key: readPem("--key", keyFile) } : undefined;
  checkTlsFiles({ ca: ca && { file: caFile!, pem: ca }, pair: pair && { certFile: certFile!, keyFile: keyFile!, ...pair } });
  const material = ca || pair ? { ca, ...pair } : true;
  return { transport, address, token, tls: tlsOn ? material : undefined };
}

/** How long a one-shot call waits for the server's answer, by default. */
export const ANSWER_WAIT_MS = 15_000;

/**
 * SE_ANSWER_WAIT_MS overrides ANSWER_WAIT_MS (a slow link; tests of a server that never answers):
 * the deadline of the one-shot calls, and how long `run`/`exec` wait for a sign of life (see
 * commands/scripts.ts).
 */
export function answerWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SE_ANSWER_WAIT_MS?.trim();
  if (!v) return ANSWER_WAIT_MS;
  const ms = Number(v);
  if (!Number.isSafeInteger(ms) || ms <= 0) throw new CliError(`SE_ANSWER_WAIT_MS must be a positive whole number of milliseconds, got ${JSON.stringify(env.SE_ANSWER_WAIT_MS)}`);
  return ms;
}

/** How long a command's calls wait for an answer, when not the one-shot default (SE_ANSWER_WAIT_MS). */
export interface CallWait {
  /** The client's deadline for executions and migrations (its long methods). */
  executionTimeoutMs?: number;
  /** A deadline the command's calls carry themselves (the message's figure only). */
  waitMs?: number;
  waitSetBy?: string;
}

let lastCallWait: { ms: number; setBy: string } | undefined;
/** The deadline the last client built gave its calls, and what sets it: what a DEADLINE_EXCEEDED of our own waited. */
export const callWait = () => lastCallWait;

/**
 * `waitSetBy`: what sets the wait of the command's calls, for the message when it passes unanswered:
 * executionTimeoutMs, or `waitMs` (a deadline the command gives its calls itself).
 */
export function connect(o: GlobalOptions, extra: CallWait = {}): { client: ScriptEngineClient; address: string } {
  const c = resolveConnection(o);
  const defaultTimeoutMs = answerWaitMs();
  const waitMs = extra.waitMs ?? extra.executionTimeoutMs;
  lastCallWait = waitMs === undefined ? { ms: defaultTimeoutMs, setBy: "SE_ANSWER_WAIT_MS sets the wait, ms" } : { ms: waitMs, setBy: extra.waitSetBy ?? "the command's deadline" };
  const client = createScriptEngineClient({
    address: c.address,
    transport: c.transport,
    token: c.token,
    tls: c.tls,
    defaultTimeoutMs,
    executionTimeoutMs: extra.executionTimeoutMs,
    // One quick retry for idempotent reads; a CLI should fail fast when the server is down.
    retry: { maxAttempts: 2, initialBackoffMs: 100, maxBackoffMs: 500 },
  });
  return { client, address: c.address };
}
