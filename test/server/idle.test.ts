// server.idle_timeout: a connection with no call in progress is closed on both doors (and one that
// never says which protocol it speaks), while a subscription, however quiet, keeps its connection;
// clients simply reconnect for their next call.
import { describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import * as net from "node:net";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor, type Protocol } from "../helpers/clients.ts";

const server = serverForTests({ args: ["--set", "server.idle_timeout=1s"] });

/** Resolves with how the session ended: a GOAWAY from the server, then its close. */
function idleSession(address: string): Promise<string[]> {
  const seen: string[] = [];
  const session = http2.connect(`http://${address}`);
  session.on("error", () => {});
  return new Promise((resolve) => {
    session.on("goaway", () => seen.push("goaway"));
    session.on("close", () => resolve([...seen, "close"]));
  });
}

describe("idle connections", () => {
  it("an HTTP/2 connection with no call is sent GOAWAY and closed, on the gRPC door and on the HTTP door", async () => {
    const [grpcEnd, httpEnd] = await Promise.all([idleSession(server.grpc), idleSession(server.http)]);
    for (const end of [grpcEnd, httpEnd]) {
      expect(end[0]).toBe("goaway");
      expect(end.at(-1)).toBe("close");
    }
  });

  it("a connection that never sends a byte is closed", async () => {
    const [host, port] = [server.http.slice(0, server.http.lastIndexOf(":")), Number(server.http.slice(server.http.lastIndexOf(":") + 1))];
    const socket = net.connect(port, host);
    socket.on("error", () => {});
    await new Promise<void>((resolve) => socket.on("close", () => resolve()));
    expect(socket.destroyed).toBe(true);
  });

  it.each(["grpc-js", "grpc-over-http", "connect"] as Protocol[])("a quiet subscription keeps its connection past the idle timeout (%s)", async (protocol) => {
    const ac = new AbortController();
    const stream = clientFor(EventService, protocol, server).subscribe({ eventTypes: ["script_executed"] }, { signal: ac.signal });
    const it = stream[Symbol.asyncIterator]();
    expect((await it.next()).value?.message.case).toBe("started");
    await new Promise((r) => setTimeout(r, 2500)); // more than twice the idle timeout, no event
    const scripts = clientFor(ScriptService, "grpc-js", server);
    await scripts.runScript({ source: "1" });
    const next = await it.next();
    expect(next.value?.message.case).toBe("event");
    ac.abort();
  });

  it("a client whose connection was closed for idleness calls again without noticing", async () => {
    for (const protocol of ["grpc-js", "connect", "grpc-over-http"] as Protocol[]) {
      const scripts = clientFor(ScriptService, protocol, server);
      expect((await scripts.runScript({ source: "20 + 1" })).result?.success).toBe(true);
      await new Promise((r) => setTimeout(r, 1500)); // its connection is closed meanwhile
      expect((await scripts.runScript({ source: "20 + 2" })).result?.success).toBe(true);
    }
  });
});
