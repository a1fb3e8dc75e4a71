// The warn line of calls refused for missing or invalid credentials names the refused caller's
// peer (address:port), on both ports, so an operator can tell where a flood of them comes from.
import { describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";

const TOKEN = "the-right-token-0123456789";
const PATH = "/scriptengine.v1.ScriptService/GetConfig";

/** One GetConfig with a wrong token over its own HTTP/2 connection (gRPC on the gRPC port, Connect JSON on the HTTP port); returns the client's local port. */
async function refusedCall(address: string, door: "grpc" | "http"): Promise<number> {
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  try {
    await new Promise((resolve) => session.once("remoteSettings", resolve));
    const headers = door === "grpc" ? { "content-type": "application/grpc", te: "trailers" } : { "content-type": "application/json" };
    const stream = session.request({ ":method": "POST", ":path": PATH, authorization: "Bearer a-wrong-token-0123456789", ...headers });
    stream.on("error", () => {});
    stream.resume();
    stream.end(door === "grpc" ? Buffer.alloc(5) : "{}");
    await new Promise((resolve) => stream.once("close", resolve));
    return session.socket.localPort!;
  } finally {
    session.destroy();
  }
}

for (const door of ["grpc", "http"] as const) {
  describe(`a refused credential on the ${door} port`, () => {
    const server = serverForTests({ toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\n`, args: ["--set", "pool.workers=1", "--set", "discovery.enabled=false"] });

    it("is logged with the caller's peer address", async () => {
      const port = await refusedCall(server[door], door);
      const line = await until("the refusal's line", () => server.logs().split("\n").find((l) => l.includes("calls refused for missing or invalid credentials")));
      expect(JSON.parse(line)).toMatchObject({ level: "warn", refused: 1, peer: `127.0.0.1:${port}`, latest: expect.stringContaining("GetConfig") });
    });
  });
}
