// TLS asked of a plaintext server (--tls, or an https:// address, on the wrong port or server):
// the CLI used to print OpenSSL's raw error ("…wrong version number:../deps/openssl/…"). It says
// the server does not speak TLS and what to change, as the opposite case (tls-hint.test.ts) does.
import { expect, it } from "vitest";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { cli } from "./helpers.ts";

const plain = serverForTests();

it.each([
  ["grpc-js", () => plain.grpc, ["--tls"], "drop --tls"],
  ["grpc-http2", () => plain.grpc, ["--tls"], "drop --tls"],
  ["connect", () => plain.http, ["--tls"], "drop --tls"],
  ["grpc-web", () => `https://${plain.http}`, [], "use an http:// address"],
])("over %s, TLS to a plaintext server exits 3 with one line saying it does not speak TLS", async (transport, address, flags, fix) => {
  const r = await cli(["--address", address(), "--transport", transport, ...flags, "health"]);
  expect(r.code).toBe(3);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(`UNAVAILABLE: cannot reach ${address()}: the TLS handshake failed: the server does not speak TLS (${fix}`);
  expect(lines[0]).not.toMatch(/openssl|version number/i);
});
