// Tells whether an address is an HTTP/2-only server (the gRPC port), for the hint after an HTTP
// transport's request failed. Such a server either answers HTTP/1.1 with bytes the parser rejects
// (HPE_*) or closes the socket before the request was written (EPIPE / ECONNRESET), depending on
// timing; only the first says what it is, so for the second we ask the port directly.
import { connect } from "node:net";

/** Connection errors that leave open whether the peer was an HTTP/2-only server. */
export const AMBIGUOUS_CLOSE = new Set(["EPIPE", "ECONNRESET"]);

const SETTINGS_FRAME = 0x4;

/**
 * True when the server at host:port speaks first with an HTTP/2 SETTINGS frame on a plaintext
 * connection (HTTP/2 servers do so without waiting; HTTP/1.1 servers wait for the request).
 */
export function speaksHttp2First(address: string, timeoutMs = 1000): Promise<boolean> {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, "$1");
  const port = Number(address.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return Promise.resolve(false);
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
