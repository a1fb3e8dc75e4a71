// A peer that stops reading while the server has answers for it held its connection for good:
// pipelined HTTP/1.1 requests are parsed ahead of their unread answers (tens of MB per connection,
// before any authentication), and a connection with an answer pending never reached its idle or
// headers deadline. One whose socket takes none of what is written to it for idle_timeout is cut.
import * as net from "node:net";
import { readFileSync } from "node:fs";
import { describe, it } from "vitest";
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

describe("a peer that stops reading", () => {
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
    } finally {
      socket.destroy();
    }
  });
});
