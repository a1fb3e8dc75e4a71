// server.cors_origins entries are compared byte for byte with a browser's Origin header, which is
// the serialized origin: scheme://host[:port], lower case, no path or trailing slash, the default
// port left out. An entry written otherwise ("https://app.example.com/", "HTTPS://App.example.com",
// "app.example.com", "https://*.example.com") matched no request, without a word. Such an entry
// stops the server instead, naming the spelling that matches.

/** Why `entry` can never match an Origin header, or undefined when it is "*" or a serialized origin. */
export function corsOriginProblem(entry: string): string | undefined {
  if (entry === "*") return undefined;
  const shown = JSON.stringify(entry);
  if (entry.includes("*")) return `${shown}: wildcards are not supported; list each origin (scheme://host[:port]), or "*" alone`;
  let url: URL | undefined;
  try {
    // "app.example.com:8080" would parse as a URL of scheme "app.example.com:".
    url = /^[a-z][a-z0-9+.-]*:\/\/[^\s]/i.test(entry) ? new URL(entry) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    return `${shown} is not an origin: scheme://host[:port] as a browser sends it (e.g. "https://app.example.com")`;
  }
  if (url.origin !== entry) {
    return `${shown} is written ${JSON.stringify(url.origin)} in an Origin header (lower case, no path or trailing slash, no default port), the only spelling it is compared with`;
  }
  return undefined;
}
