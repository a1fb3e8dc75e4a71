// grpc-js reports each request header it refuses as metadata, before any authentication. A
// client without credentials must not be able to grow the log with that traffic, nor have a
// header's value (a token sent with a tab instead of a space) copied into it.
import http2 from "node:http2";
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { describeGrpcJsMessage, grpcJsLogger } from "../../src/doors/grpc-js-log.ts";
import type { Logger } from "../../src/log.ts";

const TOKEN = "secret-token-0123456789abcdef";

const server = serverForTests({ toml: `[[auth.principals]]\nname = "ops"\ntoken = "${TOKEN}"\npermissions = ["admin"]\n` }, { checkExit: false });

/** Sends `n` public Health/Check calls on one connection, each with these extra headers; returns the bytes written. */
async function sendWithHeaders(n: number, extra: Record<string, string>): Promise<number> {
  const session = http2.connect(`http://${server.grpc}`, { maxHeaderListPairs: 10_000 });
  session.on("error", () => {});
  try {
    for (let i = 0; i < n; i++) {
      await new Promise<void>((resolve) => {
        const req = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check", "content-type": "application/grpc", te: "trailers", ...extra });
        req.on("data", () => {});
        req.on("error", () => {});
        req.on("close", () => resolve());
        req.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    }
    return session.socket.bytesWritten;
  } finally {
    session.close();
  }
}

describe("grpc-js diagnostics in the log", () => {
  it("many refused headers grow the log by a small constant, and no header value is logged", async () => {
    const before = server.logs().length;
    const bad: Record<string, string> = { authorization: `Bearer\t${TOKEN}` };
    for (let h = 0; h < 40; h++) bad[`x!${h}`] = "v".repeat(30) + "leaked-value";
    const wire = await sendWithHeaders(200, bad);
    const grown = server.logs().slice(before);
    expect(grown.length).toBeLessThan(2048);
    expect(grown.length).toBeLessThan(wire);
    expect(grown).not.toContain(TOKEN);
    expect(grown).not.toContain("leaked-value");
    // The one line written names what was refused.
    const lines = grown.split("\n").filter((l) => l.includes('"grpc-js"'));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2); // one per kind at most
  });

  it("keeps only the key of a refused metadata entry, and clips anything else", () => {
    const value = describeGrpcJsMessage(`Failed to add metadata entry authorization: Bearer\t${TOKEN}. Metadata string value "Bearer\t${TOKEN}" contains illegal characters. For more information see x`);
    expect(value).toEqual({ kind: "metadata", detail: expect.stringContaining('"authorization" (illegal value') });
    expect(value.detail).not.toContain(TOKEN);
    const key = describeGrpcJsMessage('Failed to add metadata entry x!0: vvv. Metadata key "x!0" contains illegal characters. For more');
    expect(key.detail).toContain("illegal key");
    const other = describeGrpcJsMessage(`something odd with authorization: Bearer ${TOKEN} ${"z".repeat(10_000)}`);
    expect(other.kind).toBe("other:something odd with authorization");
    expect(other.detail).not.toContain(TOKEN);
    expect(Buffer.byteLength(other.detail)).toBeLessThanOrEqual(256);
  });

  it("only error lines become warn lines; info and debug go to debug; other messages are told apart by their first words", () => {
    const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
    const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
    const logger = grpcJsLogger({ debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } as unknown as Logger);
    for (let i = 0; i < 5; i++) logger.debug(`Connection ${i} received GOAWAY, authorization: Bearer ${TOKEN}`);
    logger.info("Server bound to port 5000");
    expect(lines.map((l) => l.level)).toEqual(Array(6).fill("debug"));
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    lines.length = 0;
    logger.error("Received a malformed frame from 10.0.0.1:5000");
    logger.error("Received a malformed frame from 10.0.0.2:6000"); // the same kind: dropped for a minute
    logger.error("Failed to bind port 50051"); // another kind: not hidden by the first
    expect(lines.map((l) => [l.level, l.msg, String(l.fields?.detail).slice(0, 20)])).toEqual([
      ["warn", "grpc-js", "Received a malformed"],
      ["warn", "grpc-js", "Failed to bind port "],
    ]);
  });
});
