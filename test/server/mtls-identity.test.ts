// mTLS as an identity: a principal's client_cert_names map a verified client certificate (subject
// CN, DNS or URI SAN) to it on both doors; a token, when sent, decides; certificate-mapped
// principals lift the loopback rule; a refused client certificate is logged and announced.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { createGrpcJsTransport } from "../helpers/grpc-js-transport.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { runServerExpectingExit, startServer, type TestServer } from "../helpers/server.ts";

const OPS_TOKEN = "ops-token-0123456789abcdef";

let certs: TestCerts;
const f = (name: string) => join(certs.dir, name);
const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: certs.dir, stdio: "pipe" });

/** A client certificate signed by `ca` (ca.crt/ca.key, or other-ca), with this subject and SANs. */
function clientCert(name: string, cn: string, san?: string, ca = "ca"): void {
  writeFileSync(f(`${name}.ext`), `extendedKeyUsage=clientAuth\n${san ? `subjectAltName=${san}\n` : ""}`);
  ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f(`${name}.key`), "-out", f(`${name}.csr`), "-subj", `/CN=${cn}`);
  ssl("x509", "-req", "-in", f(`${name}.csr`), "-CA", f(`${ca}.crt`), "-CAkey", f(`${ca}.key`), "-CAcreateserial", "-out", f(`${name}.crt`), "-days", "30", "-extfile", f(`${name}.ext`));
}

type Via = "grpc-js" | "connect-h2" | "connect-h1" | "grpc-http";
const VIAS: Via[] = ["grpc-js", "connect-h2", "connect-h1", "grpc-http"];

/** A transport to `server` presenting client certificate `who` (none: no certificate). */
function transport(server: TestServer, via: Via, who?: string): Transport {
  const ca = certs.read(certs.caCert);
  const cert = who ? certs.read(f(`${who}.crt`)) : undefined;
  const key = who ? certs.read(f(`${who}.key`)) : undefined;
  const nodeOptions = { ca, cert, key };
  switch (via) {
    case "grpc-js":
      return createGrpcJsTransport(server.grpc, { credentials: grpc.credentials.createSsl(ca, key ?? null, cert ?? null) });
    case "connect-h2":
      return createConnectTransport({ baseUrl: `https://${server.http}`, httpVersion: "2", nodeOptions });
    case "connect-h1":
      return createConnectTransport({ baseUrl: `https://${server.http}`, httpVersion: "1.1", nodeOptions });
    case "grpc-http":
      return createGrpcTransport({ baseUrl: `https://${server.http}`, nodeOptions });
  }
}

const scripts = (server: TestServer, via: Via, who?: string) => createClient(ScriptService, transport(server, via, who));

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  return err instanceof ConnectError ? `${err.code} ${err.rawMessage}` : "OK";
}

/** The level a run asking for development got (clamp mode: the principal's). */
async function levelOf(server: TestServer, via: Via, who: string, headers?: Record<string, string>): Promise<string> {
  const { result } = await scripts(server, via, who).runScript({ source: "1", context: { securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } }, { headers });
  return String(result?.metadata.security_level?.kind.value);
}

beforeAll(() => {
  certs = makeCerts();
  ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", f("other-ca.key"), "-out", f("other-ca.crt"), "-days", "30", "-subj", "/CN=other-ca");
  clientCert("svc-a", "svc-a-cn", "DNS:svc-a.internal");
  clientCert("ops", "ops-cn", "URI:spiffe://example.test/ops");
  clientCert("both", "svc-a.internal", "URI:spiffe://example.test/ops");
  clientCert("rogue", "svc-a.internal", "DNS:svc-a.internal", "other-ca");
});

const tlsToml = () => `[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\ntls_client_ca_file = "${certs.caCert}"\n`;

describe("client certificates name principals", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      toml: `${tlsToml()}
[auth]
on_excess = "clamp"

[[auth.principals]]
name = "svc-a"
client_cert_names = ["svc-a.internal"]
max_security_level = "safe"

[[auth.principals]]
name = "ops"
token = "${OPS_TOKEN}"
client_cert_names = ["spiffe://example.test/ops"]
max_security_level = "development"
permissions = ["admin"]
`,
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("authenticates a call without a token as its certificate's principal, with that principal's level and permissions, on both doors", async () => {
    for (const via of VIAS) {
      // A DNS SAN names svc-a: clamped to safe, and not an admin.
      expect([via, await levelOf(server, via, "svc-a")]).toEqual([via, "safe"]);
      expect([via, await refusal(scripts(server, via, "svc-a").stop({}))]).toEqual([via, '7 principal "svc-a" lacks the "admin" permission']);
      // A URI SAN names ops: development.
      expect([via, await levelOf(server, via, "ops")]).toEqual([via, "development"]);
    }
  });

  it("refuses a verified certificate that names no principal, or two, UNAUTHENTICATED", async () => {
    for (const via of VIAS) {
      expect([via, await refusal(scripts(server, via, "client").healthCheck({}))]).toEqual([via, `16 the client certificate ("test-client") maps to no principal`]);
      expect([via, await refusal(scripts(server, via, "both").healthCheck({}))]).toEqual([
        via,
        `16 the client certificate ("svc-a.internal", "spiffe://example.test/ops") maps to more than one principal (svc-a, ops)`,
      ]);
    }
  });

  it("lets a token decide when one is sent, whatever the certificate", async () => {
    for (const via of VIAS) {
      expect([via, await levelOf(server, via, "svc-a", { authorization: `Bearer ${OPS_TOKEN}` })]).toEqual([via, "development"]);
      expect([via, await refusal(scripts(server, via, "ops").healthCheck({}, { headers: { authorization: "Bearer not-the-ops-token-at-all" } }))]).toEqual([via, "16 invalid credentials"]);
      // An unmapped certificate with a valid token: the token's principal.
      expect([via, await levelOf(server, via, "client", { "x-api-key": OPS_TOKEN })]).toEqual([via, "development"]);
    }
  });
});

describe("certificate-mapped principals only", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({
      toml: `${tlsToml()}
[[auth.principals]]
name = "ops"
client_cert_names = ["spiffe://example.test/ops"]
max_security_level = "development"
permissions = ["admin"]
`,
      args: ["--grpc-address", "0.0.0.0:0", "--http-address", "0.0.0.0:0"],
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it("count as credentials: the doors bind where they are told, not loopback only", async () => {
    expect([server.grpc, server.http].map((a) => a.slice(0, a.lastIndexOf(":")))).toEqual(["0.0.0.0", "0.0.0.0"]);
    expect(server.logs()).not.toContain("no credentials configured");
    const local = { ...server, grpc: server.grpc.replace("0.0.0.0", "127.0.0.1"), http: server.http.replace("0.0.0.0", "127.0.0.1") };
    expect(await levelOf(local, "grpc-js", "ops")).toBe("development");
  });

  it("a client certificate the HTTP door refuses is logged and announced as a SecurityViolation", async () => {
    const local = { ...server, grpc: server.grpc.replace("0.0.0.0", "127.0.0.1"), http: server.http.replace("0.0.0.0", "127.0.0.1") };
    const ac = new AbortController();
    const details: string[] = [];
    const events = createClient(EventService, transport(local, "grpc-js", "ops")).subscribe({ eventTypes: ["security_violation"] }, { signal: ac.signal });
    const seen = (async () => {
      for await (const m of events) {
        if (m.message.case === "started") {
          // A certificate from another CA, then none at all.
          await refusal(scripts(local, "connect-h1", "rogue").healthCheck({}, { timeoutMs: 3000 }));
          await refusal(scripts(local, "connect-h1").healthCheck({}, { timeoutMs: 3000 }));
        } else if (m.message.case === "event" && m.message.value.event.case === "securityViolation") {
          const v = m.message.value.event.value;
          details.push(`${v.kind} ${v.detail}`);
          if (details.some((d) => d.includes("no client certificate"))) return;
        }
      }
    })();
    const timer = setTimeout(() => ac.abort(), 10_000);
    await seen.catch(() => undefined);
    clearTimeout(timer);
    ac.abort();
    expect(details[0]).toMatch(/^unauthenticated TLS handshake: client certificate refused \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)$/);
    expect(details.at(-1)).toBe("unauthenticated TLS handshake: no client certificate");
    const warn = server.logs().split("\n").find((l) => l.includes("TLS handshake"));
    expect(JSON.parse(warn!)).toMatchObject({ level: "warn", latest: "TLS handshake: client certificate refused (UNABLE_TO_VERIFY_LEAF_SIGNATURE)" });
  });
});

describe("client_cert_names in the configuration", () => {
  const exitFor = async (toml: string) => {
    const dir = mkdtempSync(join(tmpdir(), "se-mtls-config-"));
    writeFileSync(join(dir, "config.toml"), toml);
    const { code, stderr } = await runServerExpectingExit(["--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", join(dir, "data"), "--config", join(dir, "config.toml")]);
    return [code, stderr.split("\n").find((l) => l.startsWith("scriptengine:"))];
  };

  it("needs a client CA, names each certificate once, and holds names only", async () => {
    const principal = (names: string, more = "") => `[[auth.principals]]\nname = "p${more.length}"\nclient_cert_names = ${names}\n${more}`;
    expect(await exitFor(`[server]\ntls_cert_file = "${certs.serverCert}"\ntls_key_file = "${certs.serverKey}"\n${principal('["svc-a.internal"]')}`)).toEqual([
      2,
      "scriptengine: config: auth.principals[0].client_cert_names: needs server.tls_client_ca_file (mTLS): only a client certificate it verified can name a principal",
    ]);
    expect(await exitFor(`${tlsToml()}${principal('["a.internal"]')}\n${principal('["b.internal", "a.internal"]', "max_concurrent = 1\n")}`)).toEqual([
      2,
      'scriptengine: config: auth.principals[1].client_cert_names: the client certificate name "a.internal" is given to two principals',
    ]);
    const [code, line] = await exitFor(`${tlsToml()}${principal("[]")}`);
    expect([code, line]).toEqual([2, "scriptengine: config: auth.principals[0].client_cert_names: expected a non-empty list of names (a certificate's subject CN, DNS or URI name)"]);
    const [code2, line2] = await exitFor(`${tlsToml()}${principal('[" padded"]')}`);
    expect([code2, line2]).toEqual([2, 'scriptengine: config: auth.principals[0].client_cert_names: " padded" is not a certificate name (1-1024 characters, no control characters or surrounding spaces)']);
  });
});
