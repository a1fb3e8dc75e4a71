// The CLI against an mTLS server: --cert/--key (SE_CERT/SE_KEY) present a client certificate on
// every transport; one without the other is a usage error, before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { cli } from "./helpers.ts";

let certs: TestCerts;
let server: TestServer;
beforeAll(async () => {
  certs = makeCerts();
  server = await startServer({
    toml: `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${certs.caCert}"\n`,
  });
});
afterAll(async () => {
  await server.stop();
});

const addressFor = (transport: string) => (transport === "grpc-js" ? server.grpc : server.http);

describe("scriptengine against an mTLS server", () => {
  it.each(["grpc-js", "connect", "grpc-web", "grpc-http2"])("--cert and --key: health succeeds over %s", async (transport) => {
    const r = await cli(["--address", addressFor(transport), "--transport", transport, "--ca", certs.caCert, "--cert", certs.clientCert, "--key", certs.clientKey, "--json", "health"]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout).status).toMatch(/HEALTHY/);
  });

  it("SE_CERT and SE_KEY do the same", async () => {
    const r = await cli(["--address", server.grpc, "--json", "health"], { env: { SE_CA: certs.caCert, SE_CERT: certs.clientCert, SE_KEY: certs.clientKey } });
    expect([r.code, r.stderr]).toEqual([0, ""]);
  });

  it("without a client certificate the server refuses: exit 3", async () => {
    const r = await cli(["--address", server.grpc, "--ca", certs.caCert, "health"]);
    expect(r.code).toBe(3);
  });

  it.each(["grpc-js", "connect", "grpc-web", "grpc-http2"])("a server certificate from another CA is exit 3 over %s (was 10 on the HTTP transports)", async (transport) => {
    const other = makeCerts();
    const r = await cli(["--address", addressFor(transport), "--transport", transport, "--ca", other.caCert, "--cert", certs.clientCert, "--key", certs.clientKey, "health"]);
    expect([r.code, r.stderr.trim().split("\n").length]).toEqual([3, 1]);
  });

  it.each([
    ["--cert alone", ["--cert", "CERT"], {}, "--key is missing"],
    ["--key alone", ["--key", "KEY"], {}, "--cert is missing"],
    ["SE_KEY alone", [], { SE_KEY: "KEY" }, "--cert is missing"],
    ["--cert with SE_CERT but no key", ["--cert", "CERT"], { SE_CERT: "CERT" }, "--key is missing"],
  ])("%s is a usage error (exit 2), in one line", async (_name, flags, env, missing) => {
    const files = (v: string) => (v === "CERT" ? certs.clientCert : v === "KEY" ? certs.clientKey : v);
    const envFiles = Object.fromEntries(Object.entries(env as Record<string, string>).map(([k, v]) => [k, files(v)]));
    const r = await cli(["--address", server.grpc, "--ca", certs.caCert, ...(flags as string[]).map(files), "health"], { env: envFiles });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`scriptengine: --cert and --key (SE_CERT, SE_KEY) go together: ${missing}\n`);
  });

  it("an unreadable --key is a usage error naming it", async () => {
    const r = await cli(["--address", server.grpc, "--cert", certs.clientCert, "--key", `${certs.dir}/nope.key`, "health"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scriptengine: cannot read --key .*nope\.key/);
  });

  it("--help lists the options and their variables", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--cert <file>/);
    expect(r.stdout).toMatch(/--key <file>/);
    expect(r.stdout).toMatch(/SE_CERT, SE_KEY/);
  });
});
