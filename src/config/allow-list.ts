// tools.http_allow_list entries are compared with the host a URL names (lower case, IPv4 and IPv6
// in canonical form, IDNA as punycode, IPv6 in brackets): an entry written otherwise ("::1",
// "127.1", "bücher.example", "api.example.com:443", "*") matched no request and admitted nothing,
// without a word. Such an entry stops the server instead, naming the spelling that matches.
import { isIP } from "node:net";

/** Why `entry` can never match, or undefined when it is a host as a URL names it (or "*." and one). */
export function allowListProblem(entry: string): string | undefined {
  const host = entry.startsWith("*.") ? entry.slice(2) : entry;
  if (host.includes("*")) return `${JSON.stringify(entry)}: a wildcard is "*." before a domain ("*.example.com"); "*" elsewhere matches nothing`;
  if (isIP(host) === 6) return `${JSON.stringify(entry)}: an IPv6 address is written in brackets, "[${new URL(`http://[${host}]`).hostname.slice(1, -1)}]"`;
  let url: URL | undefined;
  try {
    url = /[/@?#\\\s]/.test(host) ? undefined : new URL(`http://${host}`);
  } catch {
    url = undefined;
  }
  if (!url || host === "") return `${JSON.stringify(entry)} is not a host name or address`;
  if (url.port !== "" || host.endsWith(":")) return `${JSON.stringify(entry)}: an entry is a host, without a port (it admits every port of that host)`;
  if (entry.startsWith("*.") && isIP(url.hostname.replace(/^\[|\]$/g, ""))) return `${JSON.stringify(entry)}: a wildcard goes before a domain, not an address`;
  const canonical = (entry.startsWith("*.") ? "*." : "") + url.hostname;
  if (canonical !== entry.toLowerCase()) return `${JSON.stringify(entry)} is written ${JSON.stringify(canonical)} in a URL, the only spelling it is compared with`;
  return undefined;
}
