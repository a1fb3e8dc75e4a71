// A peer that stops reading while the server has answers for it held its connection for good:
// pipelined HTTP/1.1 requests are parsed ahead of their unread answers (tens of MB per connection,
// before any authentication), and a connection with an answer pending never reached its idle or
// headers deadline. One whose socket takes none of what is written to it for idle_timeout is cut.
// Over HTTP/2 a peer that never opens its flow-control window left each answered stream open for
// good, its answer pending, while the socket stayed live: such a stream is now reset (CANCEL).
// Each cut is logged (a warn line per kind and door, throttled: cut-log.ts).
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";

const server = serverForTests({ toml: '[server]\nidle_timeout = "1s"\n' });

const REQUEST = "POST /scriptengine.v1.ScriptService/GetConfig HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";

/** Whether the server's end of the loopback connection from `clientPort` to `serverPort` is still ESTABLISHED (Linux). */
function serverSideOpen(serverPort: number, clientPort: number): boolean {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  return readFileSync("/proc/net/tcp", "utf8").split("\n").some((row) => {
    const [, local, remote, state] = row.trim().split(/\s+/);
    return local?.endsWith(`:${hex(serverPort)}`) && remote?.endsWith(`:${hex(clientPort)}`) && state === "01";
  });
}

/** An HTTP/2 frame. */
const frame = (type: number, flags: number, stream: number, payload = Buffer.alloc(0)) => {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
};
const literal = (s: string) => Buffer.concat([Buffer.from([s.length]), Buffer.from(s)]);
/** HPACK for a gRPC GetConfig POST: indexed :method POST, :scheme http; literal :path, :authority, content-type, te. */
const GET_CONFIG_HEADERS = Buffer.concat([
  Buffer.from([0x83, 0x86, 0x04]), literal("/scriptengine.v1.ScriptService/GetConfig"),
  Buffer.from([0x01]), literal("127.0.0.1"),
  Buffer.from([0x0f, 0x10]), literal("application/grpc"),
  Buffer.from([0x00]), literal("te"), literal("trailers"),
]);

/** Makes one GetConfig call over a connection whose stream windows are 0; resolves the RST_STREAM code on it, or undefined by `waitMs`. */
function resetOfStalledCall(address: string, waitMs: number): Promise<number | undefined> {
  const [host, port] = address.split(":");
  const socket = net.connect(Number(port), host);
  socket.on("error", () => {});
  return new Promise<number | undefined>((resolve) => {
    const give = setTimeout(() => resolve(undefined), waitMs);
    let buf = Buffer.alloc(0);
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 9 && buf.length >= 9 + buf.readUIntBE(0, 3)) {
        const length = buf.readUIntBE(0, 3);
        const [type, id] = [buf[3], buf.readUInt32BE(5) & 0x7fffffff];
        if (type === 4 && (buf[4]! & 1) === 0) socket.write(frame(4, 1, 0)); // ack the server's SETTINGS
        if (type === 3 && id === 1) {
          clearTimeout(give);
          resolve(buf.readUInt32BE(9));
        }
        buf = buf.subarray(9 + length);
      }
    });
    const zeroWindow = Buffer.from([0, 4, 0, 0, 0, 0]); // SETTINGS_INITIAL_WINDOW_SIZE = 0
    const emptyMessage = Buffer.alloc(5);
    socket.write(Buffer.concat([Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), frame(4, 0, 0, zeroWindow), frame(1, 4, 1, GET_CONFIG_HEADERS), frame(0, 1, 1, emptyMessage)]));
  }).finally(() => socket.destroy());
}

/** Waits for the door's warn line of a `cut`. */
const logged = (door: string, cut: string) =>
  until(`a "${cut}" line for the ${door} door`, () => server.logs().split("\n").some((l) => l.includes('"level":"warn"') && l.includes(`"door":"${door}"`) && l.includes(`"cut":"${cut}"`)));

describe("a peer that stops reading", () => {
  for (const door of ["grpc", "http"] as const) {
    it(`${door} door, HTTP/2: a stream whose peer never opens its window is reset (CANCEL)`, { timeout: 30_000 }, async () => {
      expect(await resetOfStalledCall(server[door], 20_000)).toBe(8);
      await logged(door, "stream_stall");
    });
  }

  it("HTTP/1.1, pipelined calls whose answers are never read: the server closes the connection", { timeout: 60_000 }, async () => {
    const [host, port] = server.http.split(":");
    const socket = net.connect(Number(port), host);
    socket.on("error", () => {});
    socket.pause();
    await new Promise((r) => socket.once("connect", r));
    const serverPort = Number(port);
    const clientPort = socket.localPort!;
    try {
      await until("the server's end of the connection is seen", () => serverSideOpen(serverPort, clientPort));
      // Far more answers than the kernel buffers hold; the server stops reading once it is behind.
      const all = Buffer.from(REQUEST.repeat(100_000));
      for (let at = 0; at < all.length; at += 65_536) {
        if (socket.write(all.subarray(at, at + 65_536))) continue;
        const drained = await Promise.race([new Promise<boolean>((r) => socket.once("drain", () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))]);
        if (!drained) break;
      }
      await until("the server closes its end of a connection whose peer reads nothing", () => !serverSideOpen(serverPort, clientPort), { timeoutMs: 30_000, intervalMs: 200 });
      await logged("http", "write_stall");
    } finally {
      socket.destroy();
    }
  });
});
