// The server address, checked before anything connects: grpc-js dialled port 443 for a host without
// a port and called an empty or out-of-range one an internal error; the HTTP transports built a
// URL of the RPC path alone.
import { CliError } from "./exit.ts";

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+(?:%[\w.-]+)?\]|[^\s:/[\]@]+):(\d+)$/;

/**
 * Throws a usage error unless `address` is host:port ([::1]:port for IPv6), port 1-65535; the
 * HTTP transports also take an http(s):// URL. `from` names where it came from (--address, SE_ADDRESS).
 */
export function checkAddress(address: string, from: string, httpTransport: boolean): void {
  const expected = httpTransport ? "host:port or an http(s):// URL" : "host:port";
  if (address.trim() === "") throw new CliError(`${from} is empty: give ${expected}`);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    if (!httpTransport) throw new CliError(`${from} must be host:port for grpc-js (a URL is for the HTTP transports), got ${JSON.stringify(address)}`);
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw new CliError(`${from} is not a valid URL (port 1-65535), got ${JSON.stringify(address)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliError(`${from} must be an http:// or https:// URL, got ${JSON.stringify(address)}`);
    if (url.port === "0") throw new CliError(`${from} port must be 1-65535, got ${JSON.stringify(address)}`);
    return;
  }
  const m = HOST_PORT.exec(address);
  if (!m) {
    // The commonest slip: no port, which grpc-js would have taken as 443.
    const hint = /^[^\s:/]+$/.test(address) || /^\[[^\]]*\]$/.test(address) ? " (no port)" : address.split(":").length > 2 ? " (an IPv6 address goes in brackets: [::1]:50051)" : "";
    throw new CliError(`${from} must be ${expected}${hint}, got ${JSON.stringify(address)}`);
  }
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new CliError(`${from} port must be 1-65535, got ${JSON.stringify(address)}`);
}
