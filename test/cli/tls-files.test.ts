// Client TLS files the transports cannot use (--key of another certificate, a file that is not
// PEM, an encrypted key, a --ca with no certificate) are usage errors naming the flag, on every
// transport, before anything connects: they were "internal error" (10) or "cannot reach" (3).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { resolveConnection } from "../../src/cli/connection.ts";
import { cli } from "./helpers.ts";

let certs: TestCerts;
let other: TestCerts;
let notPem: string;
let encryptedKey: string;
beforeAll(() => {
  certs = makeCerts();
  other = makeCerts();
  notPem = join(certs.dir, "ca.srl"); // openssl's serial file: text, but no PEM block
  encryptedKey = join(certs.dir, "encrypted.key");
  execFileSync("openssl", ["pkey", "-in", certs.clientKey, "-aes256", "-passout", "pass:secret", "-out", encryptedKey], { stdio: "pipe" });
});

describe("client TLS files", () => {
  const cases = () =>
    [
      ["a --key of another certificate", { ca: certs.caCert, cert: certs.clientCert, key: other.clientKey }, `--key ${other.clientKey} is not the private key of --cert ${certs.clientCert}`],
      ["a --cert that is not PEM", { ca: certs.caCert, cert: notPem, key: certs.clientKey }, `--cert ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`],
      ["a --key that is not PEM", { ca: certs.caCert, cert: certs.clientCert, key: notPem }, `--key ${notPem} holds no PEM private key (-----BEGIN PRIVATE KEY-----)`],
      ["an encrypted --key", { ca: certs.caCert, cert: certs.clientCert, key: encryptedKey }, `--key ${encryptedKey} is encrypted: give the key without a passphrase`],
      ["a --ca with no certificate", { ca: notPem }, `--ca ${notPem} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`],
    ] as const;

  it("each is refused by resolveConnection with the flag named", () => {
    for (const [name, flags, message] of cases()) {
      let thrown: unknown;
      try {
        resolveConnection(flags, {});
      } catch (e) {
        thrown = e;
      }
      expect([name, (thrown as Error)?.message?.slice(0, message.length), (thrown as { exitCode?: number })?.exitCode]).toEqual([name, message, 2]);
    }
  });

  it("a damaged certificate block in --ca is named too", () => {
    const damaged = join(certs.dir, "damaged.crt");
    writeFileSync(damaged, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
    expect(() => resolveConnection({ ca: damaged }, {})).toThrow(`--ca ${damaged}: certificate 1 does not parse`);
  });

  it.each(["grpc-js", "connect", "grpc-web", "grpc-http2"])("the CLI exits 2 with one line over %s, before connecting", async (transport) => {
    // Nothing listens on port 1: a check made while connecting would say "cannot reach" (3).
    for (const [name, flags, message] of cases()) {
      const args = Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v]);
      const r = await cli(["--address", "127.0.0.1:1", "--transport", transport, ...args, "health"]);
      expect([name, r.code, r.stderr.startsWith(`scriptengine: ${message}`), r.stderr.split("\n").length]).toEqual([name, 2, true, 2]);
    }
  });

  it("good files still pass", () => {
    expect(resolveConnection({ ca: certs.caCert, cert: certs.clientCert, key: certs.clientKey }, {}).tls).toMatchObject({ ca: expect.any(Buffer), cert: expect.any(Buffer) });
  });
});
