// The token a call presents: `authorization: Bearer <token>` or `x-api-key: <token>`. Either
// header alone is the call's credential, and both carrying the same token are one. Two different
// tokens are refused rather than one silently preferred: a gateway adding one header while the
// client sends the other would otherwise run the call as a principal nobody chose.
import { serviceError } from "../errors.ts";

export interface PresentedCredential {
  /** The token, if the call sends one (a blank x-api-key or an empty Bearer is none). */
  token: string | undefined;
  /** An authorization header of another scheme than Bearer was sent (it is not read). */
  otherScheme: boolean;
}

/** Reads the call's token headers; UNAUTHENTICATED when they carry two different tokens. */
export function presentedCredential(headers: Headers): PresentedCredential {
  const auth = headers.get("authorization")?.trim() ?? "";
  const [, scheme = "", rest = ""] = /^(\S*)\s*(.*)$/s.exec(auth) ?? [];
  const isBearer = scheme.toLowerCase() === "bearer";
  const bearer = isBearer ? rest.trim() : "";
  const apiKey = headers.get("x-api-key")?.trim() ?? "";
  if (bearer && apiKey && bearer !== apiKey) {
    throw serviceError(
      "UNAUTHENTICATED",
      "conflicting credentials: 'authorization: Bearer' and 'x-api-key' carry different tokens; send one of them",
      { metadata: { headers: "authorization,x-api-key" } },
    );
  }
  return { token: bearer || apiKey || undefined, otherScheme: auth !== "" && !isBearer };
}
