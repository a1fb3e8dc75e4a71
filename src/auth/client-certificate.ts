// The identity a verified client certificate (mTLS) offers: its subject CN and its DNS and URI
// subject alternative names, which principals' client_cert_names are matched against. Each door
// puts a getter for the call's certificate in the call's context values; it is read only when a
// call carries no token and some principal names certificates.
import type { PeerCertificate, TLSSocket } from "node:tls";
import { createContextKey, createContextValues, type ContextValues } from "@connectrpc/connect";

export type ClientCertificate = () => PeerCertificate | undefined;

export const clientCertificateKey = createContextKey<ClientCertificate | undefined>(undefined, { description: "verified client certificate" });

/** A connection's client certificate, when the handshake verified one against the client CA. */
export function verifiedPeer(socket: unknown): PeerCertificate | undefined {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (!tls?.authorized || typeof tls.getPeerCertificate !== "function") return undefined;
  const cert = tls.getPeerCertificate();
  return cert?.raw ? cert : undefined;
}

/** connect-node's contextValues: the certificate of the request's connection, read on demand. */
export function clientCertificateValues(req: { socket: unknown }): ContextValues {
  return createContextValues().set(clientCertificateKey, () => verifiedPeer(req.socket));
}

// Node writes the SANs as `DNS:a, URI:b, IP Address:c`, quoting (JSON-style) a value holding a
// comma, a quote or a control character, so no value can pose as another entry.
const SAN_ENTRY = /([^:,]+):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;

/** The names a certificate answers to: its subject CN(s), then its DNS and URI SANs. */
export function certificateNames(cert: PeerCertificate): string[] {
  const cn = cert.subject?.CN as string | string[] | undefined;
  const names = cn === undefined ? [] : Array.isArray(cn) ? [...cn] : [cn];
  const sans = cert.subjectaltname ?? "";
  SAN_ENTRY.lastIndex = 0;
  while (SAN_ENTRY.lastIndex < sans.length) {
    const m = SAN_ENTRY.exec(sans);
    if (!m) break; // an entry this reader does not understand: no further name is trusted
    if (m[1] !== "DNS" && m[1] !== "URI") continue;
    try {
      names.push(m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!);
    } catch {
      /* a quoted value JSON does not read: it names nobody */
    }
  }
  return names;
}
