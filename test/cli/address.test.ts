// --address / SE_ADDRESS is checked before anything connects: an exported but empty SE_ADDRESS was
// an internal error (10), a port out of range 10 or 3, and a host without a port dialled 443.
import { describe, expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { resolveConnection } from "../../src/cli/connection.ts";
import { cli, refusal } from "./helpers.ts";


describe("the server address", () => {
  it("an empty SE_ADDRESS or SE_TRANSPORT is unset: the defaults apply", () => {
    expect(resolveConnection({}, { SE_ADDRESS: "" })).toMatchObject({ address: "127.0.0.1:50051", transport: "grpc-js" });
    expect(resolveConnection({}, { SE_ADDRESS: "", SE_TRANSPORT: "" })).toMatchObject({ address: "127.0.0.1:50051", transport: "grpc-js" });
    expect(resolveConnection({ transport: "connect" }, { SE_ADDRESS: "" })).toMatchObject({ address: "127.0.0.1:8080" });
  });

  it.each([
    [{ address: "" }, "--address is empty: give host:port"],
    [{ address: "127.0.0.1" }, '--address must be host:port (no port), got "127.0.0.1"'],
    [{ address: "127.0.0.1:99999" }, '--address port must be 1-65535, got "127.0.0.1:99999"'],
    [{ address: "127.0.0.1:0" }, '--address port must be 1-65535, got "127.0.0.1:0"'],
    [{ address: "::1:50051" }, '--address must be host:port (an IPv6 address goes in brackets: [::1]:50051), got "::1:50051"'],
    [{ address: "http://127.0.0.1:8080" }, '--address must be host:port for grpc-js (a URL is for the HTTP transports), got "http://127.0.0.1:8080"'],
    [{ address: "127.0.0.1:99999", transport: "connect" }, '--address port must be 1-65535, got "127.0.0.1:99999"'],
    [{ address: "http://127.0.0.1:99999", transport: "connect" }, '--address is not a valid URL (port 1-65535), got "http://127.0.0.1:99999"'],
    [{ address: "ftp://127.0.0.1:21", transport: "grpc-web" }, '--address must be an http:// or https:// URL, got "ftp://127.0.0.1:21"'],
    [{ transport: "" }, '--transport must be one of grpc-js, connect, grpc-web, grpc-http2, got ""'],
  ])("%j is a usage error", (o, message) => {
    expect(refusal(o)).toEqual([2, message]);
  });

  it("SE_ADDRESS is named when the address came from it", () => {
    expect(refusal({}, { SE_ADDRESS: "engine.internal" })).toEqual([2, 'SE_ADDRESS must be host:port (no port), got "engine.internal"']);
  });

  it.each([
    [{ address: "127.0.0.1:50051" }],
    [{ address: "localhost:1" }],
    [{ address: "[::1]:50051" }],
    [{ address: "https://engine.example", transport: "connect" }],
    [{ address: "http://127.0.0.1:8080/prefix", transport: "grpc-web" }],
    [{ address: "127.0.0.1:8080", transport: "grpc-http2" }],
  ])("%j is accepted", (o) => {
    expect(refusal(o)).toBe("accepted");
  });

  it("the CLI exits 2 with one line, on grpc-js and the HTTP transports", async () => {
    for (const [args, env, line] of [
      [["-a", "127.0.0.1", "health"], {}, 'scriptengine: --address must be host:port (no port), got "127.0.0.1"\n'],
      [["-a", "127.0.0.1:99999", "--transport", "connect", "health"], {}, 'scriptengine: --address port must be 1-65535, got "127.0.0.1:99999"\n'],
      [["health"], { SE_ADDRESS: "127.0.0.1:0" }, 'scriptengine: SE_ADDRESS port must be 1-65535, got "127.0.0.1:0"\n'],
    ] as const) {
      const r = await cli([...args], { env });
      expect([args, r.code, r.stderr]).toEqual([args, 2, line]);
    }
  });
});

describe("a URL's scheme in any case", () => {
  const server = serverForTests({}, { checkExit: false });

  // The check took HTTP:// as a URL while the SDK did not: it dialled a host named "http" (exit 3).
  it("HTTP://host:port reaches the server on the HTTP transports", async () => {
    for (const transport of ["connect", "grpc-web"]) {
      const r = await cli(["--transport", transport, "--address", `HTTP://${server.http}`, "health"]);
      expect([transport, r.code, r.stderr]).toEqual([transport, 0, ""]);
    }
  });
});
