// TLS material for both doors, read once at start.
import { readFileSync } from "node:fs";
import type { Config } from "../config/types.ts";

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** When set, clients must present a certificate signed by it (mTLS). */
  ca?: Buffer;
}

export function loadTls(server: Config["server"]): TlsMaterial | undefined {
  if (!server.tlsCertFile) return undefined;
  return {
    cert: readFileSync(server.tlsCertFile),
    key: readFileSync(server.tlsKeyFile),
    ca: server.tlsClientCaFile ? readFileSync(server.tlsClientCaFile) : undefined,
  };
}
