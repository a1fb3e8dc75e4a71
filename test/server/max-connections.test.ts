// server.max_connections caps the connections each port holds: with it at N, N connections are
// served, the N+1th is closed as it is accepted (a warn line naming the door, the peer and the cut),
// and once one of the N closes a new one is served again.
import { describe, expect, it } from "vitest";
import type * as http2 from "node:http2";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { until } from "../helpers/until.ts";
import { connect, healthCheck } from "../helpers/h2-connections.ts";

const MAX = 4;

describe("server.max_connections", () => {
  const server = serverForTests({ toml: `[server]\nmax_connections = ${MAX}\n` });

  for (const door of ["grpc", "http"] as const) {
    it(`holds ${MAX} connections on the ${door} port, closes one more as accepted, and serves a new one once one closes`, async () => {
      const address = server[door];
      const held: http2.ClientHttp2Session[] = [];
      try {
        for (let i = 0; i < MAX; i++) {
          const { session, outcome } = await connect(address);
          held.push(session);
          expect(outcome).toBe("served");
        }
        expect(await healthCheck(held[0], door)).toBe(door === "http" ? "200" : "0");
        const over = await connect(address);
        expect(over.outcome).toBe("closed");
        const line = await until(`the ${door} port's max_connections line`, () =>
          server.logs().split("\n").find((l) => l.includes('"cut":"max_connections"') && l.includes(`"door":"${door}"`)),
        );
        expect(JSON.parse(line)).toMatchObject({ level: "warn", peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
        // One closes: once the server has seen it go, a new connection is served.
        held.shift()!.destroy();
        const again = await until("a connection served after one closed", async () => {
          const next = await connect(address);
          if (next.outcome === "served") return next.session;
          next.session.destroy();
          return undefined;
        });
        held.push(again);
        expect(await healthCheck(again, door)).toBe(door === "http" ? "200" : "0");
        // Full again: one more is closed.
        const overAgain = await connect(address);
        expect(overAgain.outcome).toBe("closed");
      } finally {
        for (const session of held) session.destroy();
      }
    });
  }
});
