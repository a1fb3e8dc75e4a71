// Asks a port what it speaks, for the hint after a connection failed: an HTTP/2-only server (the
// gRPC port) that an HTTP transport reached, or a TLS server reached in plaintext. An HTTP/2-only
// server either answers HTTP/1.1 with bytes the parser rejects (HPE_*) or closes the socket before
// the request was written (EPIPE / ECONNRESET), depending on timing; only the first says what it
// is, so for the second we ask the port directly. A TLS server reached in plaintext just closes
// the connection, on every transport, like a server that is not there.
import { connect } from "node:net";
import { connect as connectTls } from "node:tls";

/** Connection errors that leave open whether the peer was an HTTP/2-only server. */
export const AMBIGUOUS_CLOSE = new Set(["EPIPE", "ECONNRESET"]);

const SETTINGS_FRAME = 0x4;

/**
 * True when the server at host:port speaks first with an HTTP/2 SETTINGS frame on a plaintext
 * connection (HTTP/2 servers do so without waiting; HTTP/1.1 servers wait for the request).
 */
export function speaksHttp2First(address: string, timeoutMs = 1000): Promise<boolean> {
  const target = hostAndPort(address);
  if (!target) return Promise.resolve(false);
  const { host, port } = target;
  return new Promise((resolve) => {
    let head = Buffer.alloc(0);
    const socket = connect({ host, port });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      // Frame header: 24-bit length, 8-bit type, 8-bit flags, 31-bit stream id (0 for SETTINGS).
      if (head.length >= 9) done(head[3] === SETTINGS_FRAME && head.readUInt32BE(5) === 0);
    });
    socket.on("error", () => done(false));
    socket.on("end", () => done(false));
  });
}

/**
 * True when the server at the address completes a TLS handshake, or refuses one with a TLS alert
 * (an mTLS server wanting a client certificate): it speaks TLS. A plaintext server answers the
 * ClientHello with bytes that are no TLS record ("wrong version number").
 */
export function speaksTls(address: string, timeoutMs = 1000): Promise<boolean> {
  const target = hostAndPort(address);
  if (!target) return Promise.resolve(false);
  return new Promise((resolve) => {
    // Only asks what the port speaks: nothing is sent over it, so its certificate is not checked.
    const socket = connectTls({ ...target, rejectUnauthorized: false, ALPNProtocols: ["h2", "http/1.1"] });
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("secureConnect", () => done(true));
    socket.once("error", (err: NodeJS.ErrnoException) => done(/^ERR_SSL_.*ALERT/.test(err.code ?? "")));
    socket.once("end", () => done(false));
  });
}

/** host and port of a host:port, [v6]:port or URL address; undefined without a valid port. */
function hostAndPort(address: string): { host: string; port: number } | undefined {
  let text = address;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) {
    try {
      const url = new URL(address);
      text = `${url.hostname}:${url.port || (url.protocol === "https:" ? 443 : 80)}`;
    } catch {
      return undefined;
    }
  }
  const colon = text.lastIndexOf(":");
  const host = text.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(text.slice(colon + 1));
  return colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535 ? undefined : { host, port };
}
