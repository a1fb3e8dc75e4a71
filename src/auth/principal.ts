// Who is calling, and what they may do. The request's SecurityContext is only a claim; the
// principal authenticated by the doors is what limits it.
import { createHash, timingSafeEqual } from "node:crypto";
import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { Level, Principal, PrincipalEntry } from "../config/types.ts";
import { serviceError } from "../errors.ts";

export const LEVEL_RANK: Record<Level, number> = { safe: 0, production: 1, development: 2 };

/** Without configured credentials, callers (loopback only) act as this principal. */
export const LOCAL_PRINCIPAL: Principal = Object.freeze({
  name: "local",
  maxSecurityLevel: "development",
  permissions: ["*"],
  maxConcurrent: 0,
});

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

/** Maps bearer tokens / API keys to principals in constant time per entry. */
export class Authenticator {
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(principals: PrincipalEntry[]) {
    this.entries = principals.map(({ token, ...principal }) => ({ digest: digest(token), principal: Object.freeze(principal) }));
  }

  get enabled(): boolean {
    return this.entries.length > 0;
  }

  /** Reads `authorization: Bearer <token>` or `x-api-key: <token>`. */
  authenticate(headers: Headers): Principal {
    if (!this.enabled) return LOCAL_PRINCIPAL;
    const auth = headers.get("authorization");
    const token = auth?.toLowerCase().startsWith("bearer ") ? auth.slice(7).trim() : headers.get("x-api-key")?.trim();
    if (!token) throw serviceError("UNAUTHENTICATED", "missing credentials: send 'authorization: Bearer <token>'");
    const presented = digest(token);
    let found: Principal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(entry.digest, presented)) found = entry.principal;
    }
    if (!found) throw serviceError("UNAUTHENTICATED", "invalid credentials");
    return found;
  }
}
