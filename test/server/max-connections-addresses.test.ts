// server.max_connections is what a port holds, whatever address a connection came in on. A name
// that resolves to two addresses (localhost: 127.0.0.1 and ::1) has grpc-js listen on both, each
// with its own HTTP/2 server; the cap was each server's, so such a gRPC port held twice the cap.
// Here localhost resolves to both in the server's process (a preload: this machine's resolver may
// give only 127.0.0.1), and connections on the two addresses of the gRPC port share one cap. The
// HTTP port listens on one address per port (Node binds the first a name resolves to).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type * as http2 from "node:http2";
import { startServer, type TestServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";
import { connect, healthCheck } from "../helpers/h2-connections.ts";

const MAX = 4;

/** Makes `localhost` resolve to 127.0.0.1 and ::1 (in this order) in the process it is preloaded into. */
const PRELOAD = `
import dns from "node:dns";
const both = [{ address: "127.0.0.1", family: 4 }, { address: "::1", family: 6 }];
const lookup = dns.promises.lookup;
dns.promises.lookup = (host, options, ...rest) =>
  host === "localhost" && typeof options === "object" && options?.all ? Promise.resolve(both) : lookup(host, options, ...rest);
`;

describe("server.max_connections on a port listening on two addresses", () => {
  let server: TestServer;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "scriptengine-two-addresses-"));
    const preload = join(dir, "localhost-both.mjs");
    writeFileSync(preload, PRELOAD);
    server = await startServer({
      args: ["--grpc-address", "localhost:0", "--http-address", "localhost:0", "--set", `server.max_connections=${MAX}`, "--set", "discovery.enabled=false"],
      env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${preload}`.trim() },
    });
  });
  afterAll(async () => {
    if (server) expect(await server.stop()).toBe(0);
  });

  it(`the gRPC port holds ${MAX} connections across its two addresses, closes one more on either, and serves one again once one closes`, async () => {
    const port = server.grpc.slice(server.grpc.lastIndexOf(":") + 1);
    const v4 = `127.0.0.1:${port}`;
    const v6 = `[::1]:${port}`;
    const held: http2.ClientHttp2Session[] = [];
    try {
      // Half on each address: all served (::1 is listened on, not only 127.0.0.1).
      for (const address of [v4, v6, v4, v6]) {
        const { session, outcome } = await connect(address);
        held.push(session);
        expect({ address, outcome }).toEqual({ address, outcome: "served" });
      }
      expect(await healthCheck(held[1]!, "grpc")).toBe("0");
      // The port is full: one more is closed on either address.
      for (const address of [v4, v6]) {
        const over = await connect(address);
        held.push(over.session);
        expect({ address, outcome: over.outcome }).toEqual({ address, outcome: "closed" });
      }
      await until("the max_connections line", () => server.logs().split("\n").find((l) => l.includes('"cut":"max_connections"') && l.includes('"door":"grpc"')));
      // One on ::1 closes: once the server has seen it go, a new one is served on 127.0.0.1; and
      // again, so that 127.0.0.1 holds them all and ::1 none (nothing left for it).
      for (const gone of [held[1]!, held[3]!]) {
        gone.destroy();
        const again = await until("a connection served after one closed", async () => {
          const next = await connect(v4);
          if (next.outcome === "served") return next.session;
          next.session.destroy();
          return undefined;
        });
        held.push(again);
        expect(await healthCheck(again, "grpc")).toBe("0");
        // Full again, on either address.
        for (const address of [v6, v4]) {
          const over = await connect(address);
          held.push(over.session);
          expect({ address, outcome: over.outcome }).toEqual({ address, outcome: "closed" });
        }
      }
    } finally {
      for (const session of held) session.destroy();
    }
  });

  it(`the HTTP port holds ${MAX} connections`, async () => {
    const held: http2.ClientHttp2Session[] = [];
    try {
      for (let i = 0; i < MAX; i++) {
        const { session, outcome } = await connect(server.http);
        held.push(session);
        expect(outcome).toBe("served");
      }
      expect(await healthCheck(held[0]!, "http")).toBe("200");
      const over = await connect(server.http);
      held.push(over.session);
      expect(over.outcome).toBe("closed");
    } finally {
      for (const session of held) session.destroy();
    }
  });
});
