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
import { ENCRYPTED_PEM_KEY, PEM_PRIVATE_KEY } from "../pem-key.ts";
import { MAX_TIMER_MS } from "./long-deadlines.ts";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by it (mTLS). */
  ca?: Buffer;
  /** The leaf served, for its end of validity while running (watchCertificateExpiry, health). */
  served: ServedCertificate;
}

/** The server certificate's file and the end of its dates. */
export interface ServedCertificate {
  path: string;
  validTo: Date;
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

export function loadTls(server: Config["server"], log?: Logger, now = Date.now()): TlsMaterial | undefined {
  // The configuration already holds the files as a pair (a CA only with both).
  if (!server.tlsCertFile) return undefined;
  const cert = read("server.tls_cert_file", server.tlsCertFile);
  const key = read("server.tls_key_file", server.tlsKeyFile);
  const [leaf] = pemCertificates("server.tls_cert_file", server.tlsCertFile, cert);
  // Node reads no encrypted key without a passphrase, and the configuration has none to give.
  if (ENCRYPTED_PEM_KEY.test(key.toString("latin1"))) {
    throw new TlsConfigError("server.tls_key_file", `${server.tlsKeyFile}: encrypted private keys are not supported (no passphrase option); decrypt it (openssl pkey -in ${server.tlsKeyFile} -out key.pem)`);
  }
  checked("server.tls_key_file", `${server.tlsKeyFile} holds no PEM private key`, () => createPrivateKey(key));
  checked("server.tls_key_file", `${server.tlsKeyFile} is not the key of the certificate in tls_cert_file`, () => createSecureContext({ cert, key }));
  checkValidity(leaf!, server.tlsCertFile, log, now);
  let ca: Buffer | undefined;
  if (server.tlsClientCaFile) {
    ca = read("server.tls_client_ca_file", server.tlsClientCaFile);
    const cas = pemCertificates("server.tls_client_ca_file", server.tlsClientCaFile, ca);
    // Client certificates are verified against CA certificates: a leaf here verifies nobody.
    const notCa = cas.find((c) => !c.ca);
    if (notCa) {
      throw new TlsConfigError("server.tls_client_ca_file", `${server.tlsClientCaFile} holds a certificate that is not a CA (${subjectOf(notCa)}; basicConstraints CA:FALSE or missing)`);
    }
    warnCaOutOfDates(cas, server.tlsClientCaFile, log, now);
    // Only certificates are read from it: a key beside them is a CA's signing key on the server, where
    // whoever reads the file can make client certificates that pass.
    if (PEM_PRIVATE_KEY.test(ca.toString("latin1"))) {
      log?.warn("server.tls_client_ca_file holds a private key: the server needs only the CA's certificate, and with its key anyone who reads the file can make client certificates; keep the key elsewhere", { key: "server.tls_client_ca_file", path: server.tlsClientCaFile });
    }
  }
  return { cert, key, ca, served: { path: server.tlsCertFile, validTo: leaf!.validToDate } };
}

const subjectOf = (cert: X509Certificate) => cert.subject.replace(/\n/g, ", ");

/**
 * A client CA outside its dates verifies nobody: every certificate it signed is refused
 * (CERT_HAS_EXPIRED, which reads as the client's). Not fatal (a bundle may hold other CAs), but said
 * at start, one line per such CA.
 */
function warnCaOutOfDates(cas: X509Certificate[], path: string, log: Logger | undefined, now: number): void {
  for (const ca of cas) {
    const from = ca.validFromDate.getTime();
    const to = ca.validToDate.getTime();
    if (from <= now && now <= to) continue;
    log?.warn(`server.tls_client_ca_file holds a CA that is ${now < from ? "not valid yet" : "expired"}: client certificates it signed are refused`, {
      key: "server.tls_client_ca_file",
      path,
      subject: subjectOf(ca),
      valid_from: ca.validFromDate.toISOString(),
      valid_to: ca.validToDate.toISOString(),
    });
  }
}

/** Before the server certificate's end: a warn line this long ahead of it (those still to come at start). */
const EXPIRY_ALARMS_MS = [7 * DAY_MS, DAY_MS];

/**
 * Watches the served certificate's end while the server runs: a warn line 7 days and 1 day ahead
 * (those not yet past at start, which warned already within 14 days), an error line at its end,
 * when `onExpired` runs (health goes UNHEALTHY). A timer to each, in steps Node's longest timer
 * can hold. Returns the stop.
 */
export function watchCertificateExpiry(served: ServedCertificate, log: Logger, onExpired: () => void, now: () => number = Date.now): () => void {
  const end = served.validTo.getTime();
  const alarms = [...EXPIRY_ALARMS_MS.map((ahead) => end - ahead), end].filter((at) => at > now());
  let timer: NodeJS.Timeout | undefined;
  const next = () => {
    const at = alarms[0];
    if (at === undefined) return;
    timer = setTimeout(() => {
      if (now() >= at) {
        alarms.shift();
        const fields = { key: "server.tls_cert_file", path: served.path, valid_to: served.validTo.toISOString() };
        if (at === end) {
          log.error("server.tls_cert_file has expired: clients refuse it from now on; replace it and restart the server", fields);
          onExpired();
        } else {
          log.warn(`server.tls_cert_file expires in ${timeLeft(end - now())}: clients will refuse it from then on`, fields);
        }
      }
      next();
    }, Math.min(Math.max(at - now(), 0), MAX_TIMER_MS));
    timer.unref();
  };
  next();
  return () => clearTimeout(timer);
}
