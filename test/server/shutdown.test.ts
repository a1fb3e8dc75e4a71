// SIGTERM ends streams cleanly (OK) on both doors, and the process exits 0.
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";

describe("graceful shutdown", () => {
  it("ends open streams with OK on both doors and exits 0", async () => {
    const server = await startServer();
    const watch = async (protocol: "grpc-js" | "connect") => {
      const seen: Serving[] = [];
      for await (const res of clientFor(Health, protocol, server).watch({ service: "" })) {
        seen.push(res.status);
      }
      return seen;
    };
    const streams = [watch("grpc-js"), watch("connect")];
    await new Promise((r) => setTimeout(r, 300));
    const exit = server.stop("SIGTERM");
    const [grpcSeen, connectSeen] = await Promise.all(streams);
    expect(grpcSeen[0]).toBe(Serving.SERVING);
    expect(connectSeen[0]).toBe(Serving.SERVING);
    expect(await exit).toBe(0);
    expect(server.logs()).toMatch(/"msg":"stopped"/);
  });
});
