// The token a call presents: `authorization: Bearer <token>` or `x-api-key: <token>`. Either
// header alone is the call's credential, and both carrying the same token are one. Two different
// tokens are refused rather than one silently preferred: a gateway adding one header while the
// client sends the other (or appending a second of the same) would otherwise run the call as a
// principal nobody chose. A header sent twice arrives as one, its values joined with ", " (as
// Node joins a list field; the doors join `authorization` too, repeated-credentials.ts): a token
// holds no whitespace, so a comma and whitespace always separate two values.
import { serviceError } from "../errors.ts";

export interface PresentedCredential {
  /** The token, if the call sends one (a blank x-api-key or an empty Bearer is none). */
  token: string | undefined;
  /** An authorization header of another scheme than Bearer was sent (it is not read). */
  otherScheme: boolean;
  /** `authorization: Bearer` was sent with no token after it (said so, not just "missing"). */
  emptyBearer: boolean;
}

const valuesOf = (header: string | null) => (header ?? "").split(/,\s+/).map((v) => v.trim()).filter((v) => v !== "");

/** Reads the call's token headers; UNAUTHENTICATED when they carry two different tokens. */
export function presentedCredential(headers: Headers): PresentedCredential {
  const sent: { header: string; token: string }[] = [];
  let otherScheme = false;
  let emptyBearer = false;
  for (const auth of valuesOf(headers.get("authorization"))) {
    const [, scheme = "", rest = ""] = /^(\S*)\s*(.*)$/s.exec(auth) ?? [];
    if (scheme.toLowerCase() !== "bearer") otherScheme = true;
    else if (rest.trim()) sent.push({ header: "authorization", token: rest.trim() });
    else emptyBearer = true;
  }
  for (const token of valuesOf(headers.get("x-api-key"))) sent.push({ header: "x-api-key", token });
  const tokens = new Set(sent.map((s) => s.token));
  if (tokens.size > 1) {
    const names = [...new Set(sent.map((s) => s.header))];
    const which = names.length > 1 ? "'authorization: Bearer' and 'x-api-key' carry" : `repeated '${names[0] === "authorization" ? "authorization: Bearer" : "x-api-key"}' headers carry`;
    throw serviceError("UNAUTHENTICATED", `conflicting credentials: ${which} different tokens; send one of them`, { metadata: { headers: names.join(",") } });
  }
  return { token: sent[0]?.token, otherScheme, emptyBearer };
}
