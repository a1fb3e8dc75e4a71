// An HTTP/2 stream whose request has not ended is held for as long as its peer keeps it so (a
// one-message body up to idle_timeout, a stream's up to its deadline), tens of KB each, and only
// MAX_CONCURRENT_STREAMS per connection bounded them: 40 connections of 256 such streams took the
// HTTP door ~270 MB. An HTTP/1.1 request whose body does not all come is the same, one a
// connection (~40 KB each). Each door now holds at most MAX_PENDING_STREAMS over all its
// connections: one more cuts the oldest (HTTP/2: RST_STREAM CANCEL; HTTP/1.1: its connection), so
// memory stays bounded and a peer holding them all still cannot keep new calls out.
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

/** A whole call on a stream of its own: "served", or what came instead. */
function call(session: http2.ClientHttp2Session, door: (typeof doors)[number]): Promise<string> {
  return new Promise((resolve) => {
    const st = session.request(door.headers);
    st.on("error", () => {});
    st.once("response", (h) => resolve(door.served(h) ? "served" : `answered ${JSON.stringify(h)}`));
    st.once("close", () => resolve(`closed ${st.rstCode}`));
    st.resume();
    st.end(door.body);
  });
}

describe("streams whose request has not ended are bounded per door", () => {
  for (const door of doors) {
    it(`${door.door} door: ${MAX_PENDING_STREAMS} are held; one more cuts the oldest (CANCEL), and is served`, { timeout: 120_000 }, async () => {
      const sessions: http2.ClientHttp2Session[] = [];
      try {
        const resets: { index: number; code: number }[] = [];
        const hold = (session: http2.ClientHttp2Session, index: number) => {
          const st = session.request(door.headers, { endStream: false });
          st.on("error", () => {});
          st.once("close", () => resets.push({ index, code: st.rstCode ?? -1 }));
        };
        let held = 0;
        for (let c = 0; c < MAX_PENDING_STREAMS / MAX_CONCURRENT_STREAMS; c++) {
          const session = await connect(door.address());
          sessions.push(session);
          for (let i = 0; i < MAX_CONCURRENT_STREAMS; i++) hold(session, held++);
          await flushed(session);
        }
        const other = await connect(door.address());
        sessions.push(other);
        await flushed(other);
        expect(resets, "none of the held streams was reset").toEqual([]);
        // One more: the oldest held stream is cut, and the call is served.
        expect(await call(other, door)).toBe("served");
        await until("the oldest held stream is reset", () => resets.length > 0);
        expect(resets).toEqual([{ index: 0, code: http2.constants.NGHTTP2_CANCEL }]);
        // That call has ended: the door holds one fewer than the bound, and the next call cuts none.
        expect(await call(other, door)).toBe("served");
        // A new held stream fills the bound again; the call after it cuts the next oldest.
        hold(other, held++);
        await flushed(other);
        expect(await call(other, door)).toBe("served");
        await until("the next oldest held stream is reset", () => resets.length > 1);
        expect(resets).toEqual([{ index: 0, code: http2.constants.NGHTTP2_CANCEL }, { index: 1, code: http2.constants.NGHTTP2_CANCEL }]);
        await until("the cut's warn line", () => server.logs().includes(`"door":"${door.door}","peer":"127.0.0.1:${sessions[0]!.socket.localPort}","cut":"oldest_pending"`));
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

  it(`http door: ${MAX_PENDING_STREAMS} are held; one more closes the oldest's connection, and is served`, { timeout: 120_000 }, async () => {
    const held: net.Socket[] = [];
    const closed: number[] = [];
    try {
      for (let i = 0; i < MAX_PENDING_STREAMS; i++) {
        const socket = await open();
        socket.on("error", () => {});
        socket.once("close", () => closed.push(i));
        socket.write(`${head(2)}{`); // one byte of two
        held.push(socket);
      }
      // Once every held request is in, a whole one cuts one of them (the first of them in).
      await until("a held connection is closed by the server", async () => {
        expect(await whole()).toBe("HTTP/1.1 200 OK");
        return closed.length > 0;
      }, { timeoutMs: 60_000 });
      expect(closed).toHaveLength(1);
      // The door now holds one fewer than the bound: the next whole request cuts none.
      expect(await whole()).toBe("HTTP/1.1 200 OK");
      // A held request that completes is served.
      const survivor = held.find((_, i) => !closed.includes(i))!;
      let answer = "";
      survivor.on("data", (d) => (answer += d));
      survivor.write("}");
      await until("the held request's answer", () => answer.includes("\r\n"));
      expect(answer.slice(0, answer.indexOf("\r\n"))).toBe("HTTP/1.1 200 OK");
      expect(closed).toHaveLength(1);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
