// Error texts travel in response trailers (grpc-message, grpc-status-details-bin). Clients refuse
// trailers over 8-64 KiB and then reset the whole HTTP/2 connection, failing every call on it; so
// an error never echoes a request field at full length, whatever the method.
import { expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { clipText } from "../../src/errors.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

it("an error never echoes a huge request field into the trailers, which would break the client's connection", async () => {
  // Error texts travel in grpc-message and grpc-status-details-bin; clients refuse trailers over
  // 8-64 KiB and then reset the whole HTTP/2 connection, failing every call on it.
  const huge = "a".repeat(100_000);
  const scripts = clientFor(ScriptService, "grpc-js", server);
  for (const call of [
    () => scripts.executeScript({ scriptId: huge }),
    () => scripts.getScript({ scriptId: huge }),
    () => scripts.deleteScript({ scriptId: huge }),
    () => scripts.runScript({ source: "1", context: { availableTools: [huge] } }),
    () => clientFor(Health, "grpc-js", server).check({ service: huge }),
  ]) {
    const err = (await call().catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(Code[err.code]).not.toBe(Code[Code.Internal]);
    expect(Buffer.byteLength(err.rawMessage)).toBeLessThanOrEqual(512);
    for (const info of err.findDetails(ErrorInfoSchema)) for (const v of Object.values(info.metadata)) expect(v.length).toBeLessThanOrEqual(256);
  }
  const idErr = await failure(scripts.executeScript({ scriptId: huge }));
  expect([idErr.code, idErr.reason, idErr.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "script_id"]);
  expect((await scripts.healthCheck({})).health?.status).toBe(1);
});

it("clipText cuts on a character boundary within the byte budget, and leaves short text alone", () => {
  expect(clipText("short", 512)).toBe("short");
  const emoji = "😀".repeat(200); // 4 bytes each, surrogate pairs in UTF-16
  const clipped = clipText(emoji, 512);
  expect(Buffer.byteLength(clipped)).toBeLessThanOrEqual(512);
  expect(clipped.endsWith("…")).toBe(true);
  expect(clipped.slice(0, -1)).toBe("😀".repeat(127));
  expect(clipText("é".repeat(300), 512)).toBe(`${"é".repeat(254)}…`);
});
