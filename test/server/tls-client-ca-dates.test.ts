// A client CA outside its dates verifies nobody: every client certificate it signed is refused
// (CERT_HAS_EXPIRED, which reads as the client's fault). The server starts (a bundle may hold other
// CAs) but says so at start, naming the file, the CA and its dates. So it says of a CA file that also
// holds a private key (it was accepted silently): the CA's signing key has no business on the server.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { loadTls } from "../../src/doors/tls.ts";
import type { Logger } from "../../src/log.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";

let certs: TestCerts;
const f = (name: string) => join(certs.dir, name);
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: certs.dir, stdio: "pipe" });

beforeAll(() => {
  certs = makeCerts();
  // A second CA, self-signed, whose dates ended yesterday.
  writeFileSync(f("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n");
  ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("old.key"), "-out", f("old.csr"), "-subj", "/CN=old-client-ca");
  ssl("x509", "-req", "-in", f("old.csr"), "-signkey", f("old.key"), "-out", f("old.crt"), "-days", "-1", "-extfile", f("ca.ext"));
  // And one whose dates begin tomorrow (openssl ca takes exact dates; x509 in OpenSSL 3.0 has no -not_before).
  writeFileSync(f("index.txt"), "");
  writeFileSync(f("serial"), "01\n");
  writeFileSync(f("ca.cnf"), `[ca]\ndefault_ca=x\n[x]\ndir=${certs.dir}\ndatabase=${f("index.txt")}\nserial=${f("serial")}\nnew_certs_dir=${certs.dir}\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n`);
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("later.key"), "-out", f("later.csr"), "-subj", "/CN=later-client-ca");
  ssl("ca", "-batch", "-config", f("ca.cnf"), "-selfsign", "-keyfile", f("later.key"), "-in", f("later.csr"), "-out", f("later.crt"), "-startdate", stamp(Date.now() + 86_400_000), "-enddate", stamp(Date.now() + 2 * 86_400_000), "-extfile", f("ca.ext"), "-notext");
});

function warnsOf(caFile: string) {
  const warns: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log = { warn: (msg: string, fields?: Record<string, unknown>) => void warns.push({ msg, fields }) } as unknown as Logger;
  const tls = loadTls({ tlsCertFile: certs.serverCert, tlsKeyFile: certs.serverKey, tlsClientCaFile: caFile } as Parameters<typeof loadTls>[0], log);
  expect(tls?.ca).toBeDefined();
  return warns.filter((w) => w.fields?.key === "server.tls_client_ca_file");
}

it("warns at start of an expired client CA, naming the file, the CA and its dates", () => {
  const [warn, ...more] = warnsOf(f("old.crt"));
  expect(more).toEqual([]);
  expect(warn).toMatchObject({
    msg: "server.tls_client_ca_file holds a CA that is expired: client certificates it signed are refused",
    fields: { path: f("old.crt"), subject: "CN=old-client-ca", valid_from: expect.stringMatching(/^\d{4}-/), valid_to: expect.stringMatching(/^\d{4}-/) },
  });
});

it("warns per CA in a bundle: only the one out of its dates", () => {
  writeFileSync(f("bundle.crt"), Buffer.concat([certs.read(certs.caCert), certs.read(f("old.crt"))]));
  expect(warnsOf(f("bundle.crt")).map((w) => w.fields?.subject)).toEqual(["CN=old-client-ca"]);
});

it("warns of a client CA not valid yet, and of none within its dates", () => {
  expect(warnsOf(certs.caCert)).toEqual([]);
  const [warn] = warnsOf(f("later.crt"));
  expect(warn).toMatchObject({ msg: expect.stringMatching(/holds a CA that is not valid yet/), fields: { subject: "CN=later-client-ca" } });
});

it("warns of a client CA file that holds a private key beside its certificate", () => {
  writeFileSync(f("with-key.pem"), Buffer.concat([certs.read(certs.caCert), certs.read(f("ca.key"))]));
  expect(warnsOf(f("with-key.pem"))).toMatchObject([{ msg: expect.stringMatching(/^server\.tls_client_ca_file holds a private key: /), fields: { path: f("with-key.pem") } }]);
  expect(warnsOf(certs.caCert)).toEqual([]);
});
