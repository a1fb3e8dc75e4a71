// Who is calling, and what they may do. The request's SecurityContext is only a claim; the
// principal authenticated by the doors is what limits it.
import { createHash, timingSafeEqual } from "node:crypto";
import type { PeerCertificate } from "node:tls";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Level, Principal, PrincipalEntry } from "../config/types.ts";
import { serviceError } from "../errors.ts";
import { certificateNames, type ClientCertificate } from "./client-certificate.ts";
import { presentedCredential } from "./credentials.ts";

export const LEVEL_RANK: Record<Level, number> = { safe: 0, production: 1, development: 2 };

/** Without configured credentials, callers (loopback only) act as this principal. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  name: "local",
  maxSecurityLevel: "development",
  permissions: ["*"],
  maxConcurrent: 0,
});

/**
 * Sent with every request of the `http` tool. The HTTP door refuses it while callers are the local
 * principal: a script allowed to reach loopback would otherwise call its own engine as that
 * principal (any level, admin).
 */
export const SCRIPT_REQUEST_HEADER = "x-scriptengine-http-tool";
/** How the refusal of a call that presented no credential at all begins. */
export const MISSING_CREDENTIALS = "missing credentials";

export const principalKey = createContextKey<Principal | undefined>(undefined, { description: "authenticated principal" });

export function hasPermission(principal: Principal, permission: string): boolean {
  return principal.permissions.includes("*") || principal.permissions.includes(permission) ||
    (permission !== "admin" && principal.permissions.includes("admin"));
}

/** The principal of a call; the guard has always set it before a handler runs. */
export function principalOf(ctx: HandlerContext): Principal {
  const principal = ctx.values.get(principalKey);
  if (!principal) throw serviceError("UNAUTHENTICATED", "no authenticated principal for this call");
  return principal;
}

export function requirePermission(ctx: HandlerContext, permission: string): Principal {
  const principal = principalOf(ctx);
  if (!hasPermission(principal, permission)) {
    throw serviceError("SECURITY_VIOLATION", `principal "${principal.name}" lacks the "${permission}" permission`, {
      metadata: { permission, principal: principal.name },
    });
  }
  return principal;
}

const digest = (token: string) => createHash("sha256").update(token).digest();

/** How many of a refused certificate's names its message quotes. */
const NAMES_QUOTED = 4;

/**
 * Maps bearer tokens / API keys (in constant time per entry) and verified client certificates
 * (by client_cert_names) to principals. A token, when the call sends one, decides alone; only a
 * call without one is authenticated by its certificate. `authorization: Bearer` and `x-api-key`
 * are the same credential: a call may send either, or both with the same token.
 */
export class Authenticator {
  private readonly entries: { digest: Buffer; principal: Principal }[] = [];
  private readonly byCertName = new Map<string, Principal>();

  constructor(principals: PrincipalEntry[]) {
    for (const { token, clientCertNames, ...rest } of principals) {
      const principal = Object.freeze(rest);
      if (token !== undefined) this.entries.push({ digest: digest(token), principal });
      for (const name of clientCertNames ?? []) this.byCertName.set(name, principal);
    }
  }

  /**
   * Whether any credential is configured (else every caller is the local principal, loopback only).
   * A certificate-mapped principal counts: the configuration allows one only with a client CA.
   */
  get enabled(): boolean {
    return this.entries.length > 0 || this.byCertName.size > 0;
  }

  /**
   * Reads `authorization: Bearer <token>` or `x-api-key: <token>` (both with different tokens:
   * refused, see credentials.ts); without either, the call's verified client certificate
   * (`clientCertificate`, read only then). Another authorization scheme is not read.
   */
  authenticate(headers: Headers, clientCertificate?: ClientCertificate): Principal {
    if (!this.enabled) return LOCAL_PRINCIPAL;
    const { token, otherScheme, emptyBearer } = presentedCredential(headers);
    if (token) return this.byToken(token);
    const cert = this.byCertName.size > 0 ? clientCertificate?.() : undefined;
    if (cert) return this.byCertificate(cert);
    // The scheme is not quoted: a header sent without one would be the token itself.
    if (otherScheme) throw serviceError("UNAUTHENTICATED", "unsupported authorization scheme: only 'authorization: Bearer <token>' (or 'x-api-key: <token>') is read");
    if (emptyBearer) throw serviceError("UNAUTHENTICATED", `${MISSING_CREDENTIALS}: the 'authorization: Bearer' header carries no token`);
    throw serviceError("UNAUTHENTICATED", `${MISSING_CREDENTIALS}: send 'authorization: Bearer <token>'`);
  }

  private byToken(token: string): Principal {
    const presented = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.principal;
    }
    if (!found) throw serviceError("UNAUTHENTICATED", "invalid credentials");
    return found;
  }

  /** The one principal the certificate's names map to; none, or two (ambiguous), is refused. */
  private byCertificate(cert: PeerCertificate): Principal {
    const names = certificateNames(cert);
    const found = new Set<Principal>();
    for (const name of names) {
      const principal = this.byCertName.get(name);
      if (principal) found.add(principal);
    }
    if (found.size === 1) return [...found][0]!;
    const quoted = names.slice(0, NAMES_QUOTED).map((n) => JSON.stringify(n)).join(", ") + (names.length > NAMES_QUOTED ? ", ..." : "");
    if (found.size === 0) throw serviceError("UNAUTHENTICATED", `the client certificate (${quoted || "no CN or DNS/URI name"}) maps to no principal`);
    throw serviceError("UNAUTHENTICATED", `the client certificate (${quoted}) maps to more than one principal (${[...found].map((p) => p.name).join(", ")})`);
  }
}
