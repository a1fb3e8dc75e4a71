// TLS material for both doors, read and checked once at start, before anything else is started:
// a missing file, a key that is not the certificate's, or a client CA that is no certificate stops
// the server naming its key (exit 2), rather than failing later or refusing every client.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import type { Config } from "../config/types.ts";
import { firstLine } from "../errors.ts";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by it (mTLS). */
  ca?: Buffer;
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

export function loadTls(server: Config["server"]): TlsMaterial | undefined {
  // The configuration already holds the files as a pair (a CA only with both).
  if (!server.tlsCertFile) return undefined;
  const cert = read("server.tls_cert_file", server.tlsCertFile);
  const key = read("server.tls_key_file", server.tlsKeyFile);
  checked("server.tls_cert_file", `${server.tlsCertFile} holds no PEM certificate`, () => new X509Certificate(cert));
  checked("server.tls_key_file", `${server.tlsKeyFile} holds no PEM private key`, () => createPrivateKey(key));
  checked("server.tls_key_file", `${server.tlsKeyFile} is not the key of the certificate in tls_cert_file`, () => createSecureContext({ cert, key }));
  let ca: Buffer | undefined;
  if (server.tlsClientCaFile) {
    ca = read("server.tls_client_ca_file", server.tlsClientCaFile);
    checked("server.tls_client_ca_file", `${server.tlsClientCaFile} holds no PEM certificate`, () => new X509Certificate(ca!));
  }
  return { cert, key, ca };
}
