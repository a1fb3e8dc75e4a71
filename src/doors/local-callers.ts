// With no credentials configured, every caller is the all-powerful local principal and the doors
// bind to loopback. Binding alone does not keep browsers out: a page whose name an attacker
// rebinds to 127.0.0.1 (DNS rebinding) calls the HTTP door as "same origin", and any page may
// send simple cross-origin requests to it. Browsers always send the name they used (Host or
// :authority) and, cross-origin, an Origin: so the HTTP door serves only requests addressed to a
// loopback name, and from no other origin than those in server.cors_origins. A simple GET (the
// Connect GET of a read) from a page's <script> or <img> carries no Origin, but every current
// browser marks it Sec-Fetch-Site: such a request from another site, without an Origin the
// configuration allows, is refused too (non-browser clients send neither header).
// A script's request through the http tool (SCRIPT_REQUEST_HEADER) is refused too: it comes from
// loopback, but on a script's behalf.
import { isIP } from "node:net";
import { SCRIPT_REQUEST_HEADER } from "../auth/principal.ts";

/**
 * Why a request may not be served while authentication is off, or undefined when it may.
 * "authority": not even a plain host[:port] (refused before any protocol handling).
 */
export function foreignCaller(authority: string | undefined, origin: string | null | undefined, corsOrigins: readonly string[], fetchSite?: string | null, fromScript = false): { what: "host" | "origin" | "authority" | "fetch_site" | "script"; value: string } | undefined {
  if (fromScript) return { what: "script", value: SCRIPT_REQUEST_HEADER };
  if (authority !== undefined) {
    const host = hostOf(authority);
    if (host === undefined) return { what: "authority", value: authority };
    if (!isLoopbackName(host)) return { what: "host", value: authority };
  }
  if (origin != null && !corsOrigins.includes("*") && !corsOrigins.includes(origin)) return { what: "origin", value: origin };
  if (origin == null && (fetchSite === "cross-site" || fetchSite === "same-site")) return { what: "fetch_site", value: fetchSite };
  return undefined;
}

/** The host an authority names, as a URL has it (lowercased, IPv4 and IPv6 in canonical form), without a final dot. */
function hostOf(authority: string): string | undefined {
  if (/[/@?#\\\s]/.test(authority)) return undefined; // a bare host[:port], nothing a URL would read past
  try {
    return new URL(`http://${authority}`).hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  } catch {
    return undefined;
  }
}

function isLoopbackName(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1" || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}
