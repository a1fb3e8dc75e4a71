// A TLS port reached in plaintext (--tls forgotten) closes the connection like a port with no server
// behind it, on every transport; the CLI asks the port and says it speaks TLS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { speaksTls } from "../../src/cli/port-probe.ts";
import { makeCerts } from "../helpers/certs.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { cli } from "./helpers.ts";

let tls: TestServer;
let plain: TestServer;
beforeAll(async () => {
  const certs = makeCerts();
  [tls, plain] = await Promise.all([
    startServer({ toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n` }),
    startServer(),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([tls?.stop(), plain?.stop()]);
});

describe("a plaintext call to a TLS server", () => {
  it.each([
    ["grpc-js", () => tls.grpc, "add --tls"],
    ["grpc-http2", () => tls.grpc, "add --tls"],
    ["connect", () => tls.http, "add --tls"],
    ["grpc-web", () => `http://${tls.http}`, "use an https:// address"],
  ])("over %s exits 3 with one line saying the server speaks TLS", async (transport, address, fix) => {
    const r = await cli(["--address", address(), "--transport", transport, "health"]);
    expect(r.code).toBe(3);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`UNAVAILABLE: cannot reach ${address()}`);
    expect(lines[0]).toContain(`(the server speaks TLS: ${fix}, and --ca FILE for a private CA)`);
  });

  it("is told apart from a plaintext server and a closed port", async () => {
    expect(await speaksTls(tls.grpc)).toBe(true);
    expect(await speaksTls(`https://${tls.http}`)).toBe(true);
    expect(await speaksTls(plain.grpc)).toBe(false);
    expect(await speaksTls(plain.http)).toBe(false);
    await plain.stop();
    const r = await cli(["--address", plain.grpc, "health"]);
    expect(r.code).toBe(3);
    expect(r.stderr).not.toContain("TLS");
  });
});
