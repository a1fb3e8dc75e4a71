// Principals for a test server's config, and the call options that speak as one of them: the
// [[auth.principals]] blocks and the Bearer header each auth-aware test used to write out.

export interface TestPrincipal {
  name: string;
  token: string;
  level?: "safe" | "production" | "development";
  permissions?: string[];
}

/** The TOML of `principals` (level safe and no permissions unless given). */
export function principalsToml(...principals: TestPrincipal[]): string {
  return principals
    .map((p) => `[[auth.principals]]\nname = "${p.name}"\ntoken = "${p.token}"\nmax_security_level = "${p.level ?? "safe"}"\npermissions = ${JSON.stringify(p.permissions ?? [])}\n`)
    .join("\n");
}

/** Call options that authenticate with `token`. */
export const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
