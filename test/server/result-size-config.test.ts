// An execution's result is one message: caps whose result the gRPC port could not send (its limit
// is 64 MiB) stop the server at start, exit 2 with one line naming the keys.
import { describe, expect, it } from "vitest";
import { GRPC_MAX_SEND_BYTES, loadConfig } from "../../src/config/load.ts";
import { exitAtStart } from "../helpers/config-exit.ts";

const MiB = 1024 * 1024;

describe("an execution's result fits the gRPC send limit", () => {
  it("refuses output caps whose result could exceed it, naming both keys", () => {
    expect(GRPC_MAX_SEND_BYTES).toBe(64 * MiB);
    expect(() => loadConfig({ env: {}, argv: ["--set", `execution.max_output_bytes=${64 * MiB}`] })).toThrow(
      /^config: execution\.max_output_bytes and execution\.max_return_bytes: .* over the 67108864 bytes the gRPC port sends in one message/,
    );
    expect(() => loadConfig({ env: {}, argv: ["--set", `execution.max_return_bytes=${64 * MiB}`] })).toThrow(/execution\.max_return_bytes/);
    // 2.5 × 24 MiB + 2 MiB + 1 MiB = 63 MiB: fits; one more MiB of return value does not.
    expect(loadConfig({ env: {}, argv: ["--set", `execution.max_output_bytes=${24 * MiB}`, "--set", `execution.max_return_bytes=${2 * MiB}`] }).config.execution.maxOutputBytes).toBe(24 * MiB);
    expect(() => loadConfig({ env: {}, argv: ["--set", `execution.max_output_bytes=${24 * MiB}`, "--set", `execution.max_return_bytes=${3 * MiB + 1}`] })).toThrow(/execution\.max_return_bytes/);
  });

  it("the server exits 2 with one line naming the keys", async () => {
    const { code, stderr } = await exitAtStart(["--set", `execution.max_output_bytes=${64 * MiB}`]);
    expect(code).toBe(2);
    expect(stderr.split("\n")[0]).toMatch(/^scriptengine: config: execution\.max_output_bytes and execution\.max_return_bytes: /);
  });
});

