// SIGTERM ends streams cleanly on both doors, with UNAVAILABLE so clients know to resume
// elsewhere or later, and the process exits 0.
import { describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { startServer } from "../helpers/server.ts";
import { clientFor } from "../helpers/clients.ts";

describe("graceful shutdown", () => {
  it("ends open streams with UNAVAILABLE ENGINE_STOPPED on both doors and exits 0", async () => {
    const server = await startServer();
    const watch = async (protocol: "grpc-js" | "connect") => {
      const seen: Serving[] = [];
      const ended = await (async () => {
        for await (const res of clientFor(Health, protocol, server).watch({ service: "" })) seen.push(res.status);
      })().then(() => "OK", (e: ConnectError) => `${Code[e.code]} ${e.findDetails(ErrorInfoSchema)[0]?.reason}`);
      return { seen, ended };
    };
    const streams = [watch("grpc-js"), watch("connect")];
    await new Promise((r) => setTimeout(r, 300));
    const exit = server.stop("SIGTERM");
    const [grpcSide, connectSide] = await Promise.all(streams);
    for (const side of [grpcSide, connectSide]) {
      expect(side.seen[0]).toBe(Serving.SERVING);
      expect(side.ended).toBe("Unavailable ENGINE_STOPPED");
    }
    expect(await exit).toBe(0);
    expect(server.logs()).toMatch(/"msg":"stopped"/);
  });

  it("a Connect client's keep-alive connection does not hold shutdown open", async () => {
    const server = await startServer({ args: ["--set", "server.shutdown_grace=60s"] });
    const client = clientFor(Health, "connect", server);
    expect((await client.check({ service: "" })).status).toBe(Serving.SERVING);
    const started = Date.now();
    expect(await server.stop("SIGTERM")).toBe(0);
    // Waiting out the 60 s grace would mean the idle HTTP/1.1 connection held shutdown open.
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
