// Principals for a test server's config, and the call options that speak as one of them: the
// [[auth.principals]] blocks and the Bearer header each auth-aware test used to write out.

export interface TestPrincipal {
  name: string;
  /** Defaults to tokenOf(name). */
  token?: string;
  level?: "safe" | "production" | "development";
  permissions?: string[];
  maxConcurrent?: number;
}

/** The token a principal gets when a test names none. */
export const tokenOf = (name: string) => `${name}-token-0123456789abcdef`;

/** The TOML of `principals` (level safe and no permissions unless given). */
export function principalsToml(...principals: TestPrincipal[]): string {
  return principals
    .map((p) =>
      [
        "[[auth.principals]]",
        `name = "${p.name}"`,
        `token = "${p.token ?? tokenOf(p.name)}"`,
        `max_security_level = "${p.level ?? "safe"}"`,
        `permissions = ${JSON.stringify(p.permissions ?? [])}`,
        ...(p.maxConcurrent !== undefined ? [`max_concurrent = ${p.maxConcurrent}`] : []),
      ].join("\n") + "\n",
    )
    .join("\n");
}

/** Call options that authenticate with `token`. */
export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
