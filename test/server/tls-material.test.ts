// TLS material that cannot serve anyone stops the server at start naming the right key: a
// certificate outside its dates, a DER certificate, an encrypted key, a client CA that is no CA.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTls } from "../../src/doors/tls.ts";
import { runServerExpectingExit, startServer } from "../helpers/server.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";

let certs: TestCerts;
const f = (name: string) => join(certs.dir, name);
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: certs.dir, stdio: "pipe" });

/** A server certificate for the test CA's server key, valid for `days` from now (negative: already over). */
function serverCertFor(name: string, days: number): string {
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f(name), "-days", String(days), "-extfile", f("server.ext"));
  return f(name);
}

beforeAll(() => {
  certs = makeCerts();
});

async function exitWith(tls: string): Promise<{ code: number | null; line: string; dataDir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "se-tls-material-"));
  writeFileSync(join(dir, "config.toml"), `[server]\n${tls}\n`);
  const dataDir = join(dir, "data");
  const { code, stderr } = await runServerExpectingExit(["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dataDir, "--config", join(dir, "config.toml")]);
  const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
  expect(lines).toHaveLength(1);
  return { code, line: lines[0]!, dataDir };
}

describe("server certificate dates", () => {
  it("refuses an expired certificate at start: exit 2, one line naming the key and the dates", async () => {
    const expired = serverCertFor("expired.crt", -1);
    const { code, line, dataDir } = await exitWith(`tls_cert_file = "${expired}"\ntls_key_file = "${certs.serverKey}"`);
    expect(code).toBe(2);
    expect(line).toMatch(/^scriptengine: config: server\.tls_cert_file: .*expired\.crt has expired \(valid from \d{4}-\d\d-\d\dT.* to \d{4}-\d\d-\d\dT.*\)$/);
    expect(existsSync(dataDir)).toBe(false);
  });

  it("refuses a certificate that is not valid yet", () => {
    const cert = serverCertFor("later.crt", 30);
    const server = { tlsCertFile: cert, tlsKeyFile: certs.serverKey, tlsClientCaFile: "" } as Parameters<typeof loadTls>[0];
    expect(() => loadTls(server, undefined, Date.now() - 7 * 86_400_000)).toThrow(/server\.tls_cert_file: .*later\.crt is not valid yet \(valid from .* to .*\)/);
    expect(loadTls(server)?.cert).toBeDefined();
  });

  it("starts with a certificate expiring within 14 days, with a warn line", async () => {
    const soon = serverCertFor("soon.crt", 3);
    const server = await startServer({ toml: `[server]\ntls_cert_file = "${soon}"\ntls_key_file = "${certs.serverKey}"\n` });
    await server.stop();
    const warn = server.logs().split("\n").filter(Boolean).map((l) => JSON.parse(l)).find((l) => l.key === "server.tls_cert_file");
    expect(warn).toMatchObject({ level: "warn", path: soon });
    expect(warn.msg).toMatch(/expires in 2 days/);
    expect(server.logs()).toMatch(/"level":"warn".*"key":"server\.tls_cert_file"/);
    const fresh = serverCertFor("fresh.crt", 30);
    const quiet = await startServer({ toml: `[server]\ntls_cert_file = "${fresh}"\ntls_key_file = "${certs.serverKey}"\n` });
    await quiet.stop();
    expect(quiet.logs()).not.toMatch(/"level":"warn".*"key":"server\.tls_cert_file"/);
  });
});

describe("files in the wrong form", () => {
  it("names tls_cert_file, not the key, for a DER certificate", async () => {
    ssl("x509", "-in", f("server.crt"), "-outform", "der", "-out", f("server.der"));
    const { code, line } = await exitWith(`tls_cert_file = "${f("server.der")}"\ntls_key_file = "${certs.serverKey}"`);
    expect(code).toBe(2);
    expect(line).toMatch(/^scriptengine: config: server\.tls_cert_file: .*server\.der holds a DER certificate, not PEM/);
  });

  it("says an encrypted key is not supported, rather than that there is no key", async () => {
    ssl("pkey", "-in", f("server.key"), "-aes256", "-passout", "pass:secret-pass", "-out", f("enc.key"));
    expect(readFileSync(f("enc.key"), "utf8")).toContain("ENCRYPTED PRIVATE KEY");
    const { code, line } = await exitWith(`tls_cert_file = "${certs.serverCert}"\ntls_key_file = "${f("enc.key")}"`);
    expect(code).toBe(2);
    expect(line).toMatch(/^scriptengine: config: server\.tls_key_file: .*enc\.key: encrypted private keys are not supported \(no passphrase option\)/);
  });

  it("refuses a client CA file holding a certificate that is not a CA", async () => {
    const { code, line } = await exitWith(`tls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${certs.clientCert}"`);
    expect(code).toBe(2);
    expect(line).toMatch(/^scriptengine: config: server\.tls_client_ca_file: .*client\.crt holds a certificate that is not a CA \(CN=test-client/);
  });
});
