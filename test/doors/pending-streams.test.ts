// An HTTP/2 stream whose request has not ended is held for as long as its peer keeps it so (a
// one-message body up to idle_timeout, a stream's up to its deadline), tens of KB each, and only
// MAX_CONCURRENT_STREAMS per connection bounded them: 40 connections of 256 such streams took the
// HTTP door ~270 MB. An HTTP/1.1 request whose body does not all come is the same, one a
// connection (~40 KB each). Each door now holds at most MAX_PENDING_STREAMS over all its
// connections and refuses one past them before any handler (HTTP/2: RST_STREAM REFUSED_STREAM;
// HTTP/1.1: 503); one that ends frees its place.
import * as http2 from "node:http2";
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";
import { MAX_CONCURRENT_STREAMS, MAX_PENDING_STREAMS } from "../../src/doors/door-limits.ts";

const server = serverForTests({ toml: '[server]\nidle_timeout = "120s"\n' });
const PATH = "/scriptengine.v1.ScriptService/GetConfig";

const doors = [
  {
    door: "http",
    address: () => server.http,
    headers: { ":method": "POST", ":path": PATH, "content-type": "application/json" },
    body: Buffer.from("{}"),
    served: (h: http2.IncomingHttpHeaders) => Number(h[":status"]) === 200,
  },
  {
    door: "grpc",
    address: () => server.grpc,
    headers: { ":method": "POST", ":path": PATH, "content-type": "application/grpc", te: "trailers" },
    body: Buffer.alloc(5), // an empty message, uncompressed
    served: (h: http2.IncomingHttpHeaders) => Number(h[":status"]) === 200 && String(h["content-type"]).startsWith("application/grpc"),
  },
];

async function connect(address: string): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  await new Promise((resolve, reject) => (session.once("remoteSettings", resolve), session.once("error", reject)));
  return session;
}

/** Resolves once the server has read every frame `session` sent before (its PING comes after them). */
const flushed = (session: http2.ClientHttp2Session) => new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));

/** A whole call on a stream of its own: "served", or "refused" when reset REFUSED_STREAM. */
function call(session: http2.ClientHttp2Session, door: (typeof doors)[number]): Promise<"served" | "refused" | string> {
  return new Promise((resolve) => {
    const st = session.request(door.headers);
    st.on("error", () => {});
    st.once("response", (h) => resolve(door.served(h) ? "served" : `answered ${JSON.stringify(h)}`));
    st.once("close", () => resolve(st.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM ? "refused" : `closed ${st.rstCode}`));
    st.resume();
    st.end(door.body);
  });
}

describe("streams whose request has not ended are bounded per door", () => {
  for (const door of doors) {
    it(`${door.door} door: ${MAX_PENDING_STREAMS} are held, the next is refused REFUSED_STREAM, and one ending frees a place`, { timeout: 120_000 }, async () => {
      const sessions: http2.ClientHttp2Session[] = [];
      try {
        const pending: http2.ClientHttp2Stream[] = [];
        const resets: number[] = [];
        for (let c = 0; c < MAX_PENDING_STREAMS / MAX_CONCURRENT_STREAMS; c++) {
          const session = await connect(door.address());
          sessions.push(session);
          for (let i = 0; i < MAX_CONCURRENT_STREAMS; i++) {
            const st = session.request(door.headers, { endStream: false });
            st.on("error", () => {});
            st.once("close", () => resets.push(st.rstCode ?? -1));
            pending.push(st);
          }
          await flushed(session);
        }
        const other = await connect(door.address());
        sessions.push(other);
        await flushed(other);
        expect(resets, "none of the held streams was reset").toEqual([]);
        expect(await call(other, door)).toBe("refused");
        // One held stream ends (its peer cancels it): its place is free again.
        pending[0]!.close(http2.constants.NGHTTP2_CANCEL);
        let last = ""; await until("a new call is served", async () => (last = await call(other, door)) === "served", { timeoutMs: 30_000, seen: () => last });
        // A served call held its place only while it ran: a new held stream takes it, the next is refused.
        const again = other.request(door.headers, { endStream: false });
        again.on("error", () => {});
        again.once("close", () => resets.push(again.rstCode ?? -1));
        await flushed(other);
        expect(await call(other, door)).toBe("refused");
        expect(resets).toEqual([http2.constants.NGHTTP2_CANCEL]);
        await until("the refusal's warn line", () => server.logs().includes(`"door":"${door.door}","peer":"127.0.0.1:${other.socket.localPort}","cut":"refused_pending"`));
      } finally {
        for (const s of sessions) s.destroy();
      }
    });
  }
});

describe("HTTP/1.1 requests whose body has not all come count too", () => {
  const colon = () => server.http.lastIndexOf(":");
  const open = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const socket = net.connect(Number(server.http.slice(colon() + 1)), "127.0.0.1", () => resolve(socket));
      socket.once("error", reject);
    });
  const head = (length: number) => `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  /** A whole request on a connection of its own: its answer's status line. */
  async function whole(): Promise<string> {
    const socket = await open();
    try {
      let got = "";
      socket.on("data", (d) => (got += d));
      socket.write(`${head(2)}{}`);
      await until("an answer's status line", () => got.includes("\r\n"));
      return got.slice(0, got.indexOf("\r\n"));
    } finally {
      socket.destroy();
    }
  }

  it(`http door: ${MAX_PENDING_STREAMS} are held, the next is refused 503, and one ending frees a place`, { timeout: 120_000 }, async () => {
    const held: net.Socket[] = [];
    try {
      for (let i = 0; i < MAX_PENDING_STREAMS; i++) {
        const socket = await open();
        socket.on("error", () => {});
        socket.write(`${head(2)}{`); // one byte of two
        held.push(socket);
      }
      // Each held request has reached the server once a whole one is refused, or served: poll.
      await until("the next request is refused", async () => (await whole()).startsWith("HTTP/1.1 503"), { timeoutMs: 60_000 });
      expect(held.filter((s) => s.destroyed || s.readableEnded)).toEqual([]);
      held.shift()!.destroy();
      await until("a new request is served", async () => (await whole()) === "HTTP/1.1 200 OK", { timeoutMs: 30_000 });
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
