// TLS material for both doors, read and checked once at start, before anything else is started:
// a missing file, a key that is not the certificate's, a certificate outside its validity dates,
// or a client CA that is no CA certificate stops the server naming its key (exit 2), rather than
// failing later or refusing every client.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { Config } from "../config/types.ts";
import { firstLine } from "../errors.ts";
import type { Logger } from "../log.ts";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by it (mTLS). */
  ca?: Buffer;
}

/** Node's default TLS handshake timeout; a shorter server.idle_timeout bounds the handshake too (both doors). */
export function handshakeTimeoutMs(idleTimeoutMs: number): number {
  return Math.min(idleTimeoutMs, 120_000);
}

/** A TLS setting that cannot work: one line naming its key, like a configuration error. */
export class TlsConfigError extends Error {
  readonly key: string;
  constructor(key: string, why: string, cause?: unknown) {
    super(`config: ${key}: ${why}`, { cause });
    this.name = "TlsConfigError";
    this.key = key;
  }
}

function read(key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(key, `cannot read ${path}: ${firstLine(err)}`, err);
  }
}

function checked<T>(key: string, why: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    throw new TlsConfigError(key, `${why} (${firstLine(err)})`, err);
  }
}

/** A certificate expiring within this many days gets a warning at start. */
const EXPIRY_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The PEM certificates of a file. Node also reads DER, which the TLS stack then refuses, so a DER
 * file is named as such here rather than failing later on whatever is checked next (the key).
 */
function pemCertificates(key: string, path: string, text: Buffer): X509Certificate[] {
  const blocks = text.toString("latin1").match(PEM_CERTIFICATE);
  if (!blocks) {
    let der = false;
    try {
      der = Boolean(new X509Certificate(text));
    } catch {
      /* neither PEM nor DER */
    }
    if (der) throw new TlsConfigError(key, `${path} holds a DER certificate, not PEM (convert it: openssl x509 -inform der -in ${path} -out cert.pem)`);
  }
  return checked(key, `${path} holds no PEM certificate`, () => {
    if (!blocks) throw new Error("no -----BEGIN CERTIFICATE----- block");
    return blocks.map((pem) => new X509Certificate(pem));
  });
}

/** Clients refuse a certificate outside its dates: so does the server, at start; one close to its end is warned about. */
function checkValidity(cert: X509Certificate, path: string, log: Logger | undefined, now: number): void {
  const from = cert.validFromDate;
  const to = cert.validToDate;
  const dates = `valid from ${from.toISOString()} to ${to.toISOString()}`;
  if (now < from.getTime()) throw new TlsConfigError("server.tls_cert_file", `${path} is not valid yet (${dates})`);
  if (now > to.getTime()) throw new TlsConfigError("server.tls_cert_file", `${path} has expired (${dates})`);
  const left = to.getTime() - now;
  if (left < EXPIRY_WARNING_DAYS * DAY_MS) {
    log?.warn(`server.tls_cert_file expires in ${timeLeft(left)}: clients will refuse it from then on`, { key: "server.tls_cert_file", path, valid_to: to.toISOString() });
  }
}

const HOUR_MS = 3_600_000;
const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;

/** "4 days 23 hours", "5 hours", "less than an hour": whole days and hours left, never more than there are. */
export function timeLeft(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  if (days === 0) return hours === 0 ? "less than an hour" : plural(hours, "hour");
  return hours === 0 ? plural(days, "day") : `${plural(days, "day")} ${plural(hours, "hour")}`;
}

/** Node reads no encrypted key without a passphrase, and the configuration has none to give. */
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/;

export function loadTls(server: Config["server"], log?: Logger, now = Date.now()): TlsMaterial | undefined {
  // The configuration already holds the files as a pair (a CA only with both).
  if (!server.tlsCertFile) return undefined;
  const cert = read("server.tls_cert_file", server.tlsCertFile);
  const key = read("server.tls_key_file", server.tlsKeyFile);
  const [leaf] = pemCertificates("server.tls_cert_file", server.tlsCertFile, cert);
  if (ENCRYPTED_KEY.test(key.toString("latin1"))) {
    throw new TlsConfigError("server.tls_key_file", `${server.tlsKeyFile}: encrypted private keys are not supported (no passphrase option); decrypt it (openssl pkey -in ${server.tlsKeyFile} -out key.pem)`);
  }
  checked("server.tls_key_file", `${server.tlsKeyFile} holds no PEM private key`, () => createPrivateKey(key));
  checked("server.tls_key_file", `${server.tlsKeyFile} is not the key of the certificate in tls_cert_file`, () => createSecureContext({ cert, key }));
  checkValidity(leaf!, server.tlsCertFile, log, now);
  let ca: Buffer | undefined;
  if (server.tlsClientCaFile) {
    ca = read("server.tls_client_ca_file", server.tlsClientCaFile);
    // Client certificates are verified against CA certificates: a leaf here verifies nobody.
    const notCa = pemCertificates("server.tls_client_ca_file", server.tlsClientCaFile, ca).find((c) => !c.ca);
    if (notCa) {
      throw new TlsConfigError("server.tls_client_ca_file", `${server.tlsClientCaFile} holds a certificate that is not a CA (${notCa.subject.replace(/\n/g, ", ")}; basicConstraints CA:FALSE or missing)`);
    }
  }
  return { cert, key, ca };
}
