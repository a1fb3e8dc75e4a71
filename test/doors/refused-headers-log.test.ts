// An HTTP/1.1 request Node's parser refuses (431 for headers too large) is answered and its
// connection closed at once: the door's headers deadline, armed as its first bytes came and
// cleared only by a parsed request, fired idle_timeout later all the same, and logged a false
// "headers did not arrive" cut naming that peer (taking the kind's one line a minute). A closed
// connection now disarms it. A connection that does trickle its headers, opened after, is cut by
// the same deadline: as its timer runs out after the first's would, the first cut line logged
// must be its own.
import * as net from "node:net";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";

const server = serverForTests({ toml: '[server]\nidle_timeout = "1s"\n' });

type Line = { msg: string; door?: string; peer?: string; cut?: string };
const headerCuts = (): Line[] =>
  server.logs().split("\n").filter((l) => l.includes('"cut"')).map((l) => JSON.parse(l) as Line).filter((l) => l.door === "http" && l.cut === "headers");

/** Sends `bytes` on a new connection; resolves its local port and what came back once the server closed it. */
async function sendUntilClosed(bytes: string): Promise<{ port: number; answer: string }> {
  const at = server.http.lastIndexOf(":");
  const socket = net.connect(Number(server.http.slice(at + 1)), server.http.slice(0, at));
  socket.on("error", () => {});
  try {
    await new Promise((resolve) => socket.once("connect", resolve));
    const port = socket.localPort!;
    let answer = "";
    socket.on("data", (d) => (answer += d));
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.write(bytes);
    await closed;
    return { port, answer };
  } finally {
    socket.destroy();
  }
}

describe("a request Node's parser refused", () => {
  it("is not logged later as headers that did not arrive", async () => {
    const refused = await sendUntilClosed(`GET /health?x=${"a".repeat(20_000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
    expect(refused.answer).toMatch(/^HTTP\/1\.1 431 /);
    const trickled = sendUntilClosed("GET /health HTTP/1.1\r\nHost: localhost\r\n");
    const [first] = await until("a headers cut is logged", () => headerCuts().length > 0 && headerCuts(), { seen: () => server.logs().slice(-2000) });
    expect(first!.peer).toBe(`127.0.0.1:${(await trickled).port}`);
    expect(headerCuts().map((l) => l.peer)).not.toContain(`127.0.0.1:${refused.port}`);
  });
});
