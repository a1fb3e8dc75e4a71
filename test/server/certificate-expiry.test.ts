// A server certificate that reaches its end while the server runs: warn lines ahead of it (7 days,
// 1 day), an error line at its end, and health UNHEALTHY with a "certificate" component saying so.
// Before, nothing was logged and health stayed SERVING while every verifying client refused it.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { watchCertificateExpiry } from "../../src/doors/tls.ts";
import { certificateComponents, overall } from "../../src/health/monitor.ts";
import type { Logger } from "../../src/log.ts";
import { makeCerts, type TestCerts } from "../helpers/certs.ts";
import { startServer } from "../helpers/server.ts";
import { until } from "../helpers/until.ts";

const DAY = 86_400_000;

function capture() {
  const lines: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } as unknown as Logger };
}

describe("watchCertificateExpiry", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("warns 7 days and 1 day ahead, then logs an error and calls onExpired at the end", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { lines, log } = capture();
    const validTo = new Date(Date.now() + 8 * DAY);
    let expired = 0;
    const stop = watchCertificateExpiry({ path: "/x/server.crt", validTo }, log, () => expired++);
    vi.advanceTimersByTime(DAY - 1000);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(lines).toMatchObject([{ level: "warn", msg: expect.stringMatching(/^server\.tls_cert_file expires in 7 days:/), fields: { key: "server.tls_cert_file", path: "/x/server.crt", valid_to: validTo.toISOString() } }]);
    vi.advanceTimersByTime(6 * DAY);
    expect(lines[1]).toMatchObject({ level: "warn", msg: expect.stringMatching(/expires in 1 day:/) });
    expect(expired).toBe(0);
    vi.advanceTimersByTime(DAY);
    expect(lines[2]).toMatchObject({ level: "error", msg: expect.stringMatching(/^server\.tls_cert_file has expired/), fields: { path: "/x/server.crt" } });
    expect(expired).toBe(1);
    vi.advanceTimersByTime(30 * DAY);
    expect(lines).toHaveLength(3);
    stop();
  });

  it("waits past Node's longest timer in steps, without firing early", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { lines, log } = capture();
    const validTo = new Date(Date.now() + 90 * DAY);
    let expired = 0;
    const stop = watchCertificateExpiry({ path: "/x/server.crt", validTo }, log, () => expired++);
    vi.advanceTimersByTime(83 * DAY - 1000);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1000);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/expires in 7 days/)]);
    vi.advanceTimersByTime(7 * DAY);
    expect(expired).toBe(1);
    stop();
  });

  it("says only what is still ahead at start, and nothing once stopped", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { lines, log } = capture();
    let expired = 0;
    const stop = watchCertificateExpiry({ path: "/x/server.crt", validTo: new Date(Date.now() + 2 * DAY) }, log, () => expired++);
    vi.advanceTimersByTime(DAY);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/expires in 1 day/)]);
    stop();
    vi.advanceTimersByTime(2 * DAY);
    expect(lines).toHaveLength(1);
    expect(expired).toBe(0);
  });
});

describe("the certificate health component", () => {
  it("is HEALTHY until the end, UNHEALTHY after it, naming the key and the file; absent without TLS", () => {
    const validTo = new Date("2030-01-01T00:00:00Z");
    const served = { path: "/x/server.crt", validTo };
    expect(certificateComponents(undefined)).toEqual([]);
    expect(certificateComponents(served, validTo.getTime() - 1)).toEqual([{ name: "certificate", status: ServiceStatus.HEALTHY, message: "server.tls_cert_file valid until 2030-01-01T00:00:00.000Z" }]);
    const after = certificateComponents(served, validTo.getTime() + 1);
    expect(after[0]).toMatchObject({ name: "certificate", status: ServiceStatus.UNHEALTHY, message: expect.stringMatching(/^server\.tls_cert_file \/x\/server\.crt expired at 2030-01-01T00:00:00\.000Z/) });
    expect(overall(after).status).toBe(ServiceStatus.UNHEALTHY);
  });
});

describe("a server whose certificate ends while it runs", () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });

  /** The test CA's server key, certified from an hour ago until `seconds` from now (openssl ca takes exact dates). */
  function certEndingIn(seconds: number): string {
    const f = (name: string) => join(certs.dir, name);
    writeFileSync(f("index.txt"), "");
    writeFileSync(f("serial"), "01\n");
    writeFileSync(f("ca.cnf"), `[ca]\ndefault_ca=x\n[x]\ndir=${certs.dir}\ndatabase=${f("index.txt")}\nserial=${f("serial")}\nnew_certs_dir=${certs.dir}\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n`);
    const stamp = (ms: number) => new Date(ms).toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
    execFileSync("openssl", ["ca", "-batch", "-config", f("ca.cnf"), "-cert", f("ca.crt"), "-keyfile", f("ca.key"), "-in", f("server.csr"), "-out", f("short.crt"), "-startdate", stamp(Date.now() - 3_600_000), "-enddate", stamp(Date.now() + seconds * 1000), "-extfile", f("server.ext"), "-notext"], { stdio: "pipe" });
    return f("short.crt");
  }

  it("logs an error at the end and HealthCheck turns UNHEALTHY with a certificate component", async () => {
    // Long enough for the start on a busy machine (an already expired certificate stops it, exit 2).
    const cert = certEndingIn(10);
    const server = await startServer({ toml: `[server]\ntls_cert_file = "${cert}"\ntls_key_file = "${certs.serverKey}"\n` });
    try {
      // Once the certificate has expired a verifying client refuses it: this one does not verify.
      const client = createClient(ScriptService, createConnectTransport({ baseUrl: `https://${server.http}`, httpVersion: "1.1", nodeOptions: { rejectUnauthorized: false } }));
      const before = await client.healthCheck({});
      expect(before.health?.status).toBe(ServiceStatus.HEALTHY);
      expect(before.health?.components.find((c) => c.name === "certificate")).toMatchObject({ status: ServiceStatus.HEALTHY });
      await until("the server logs the certificate's end", () => /"level":"error".*server\.tls_cert_file has expired/.test(server.logs()), { timeoutMs: 30_000, intervalMs: 200 });
      const after = await client.healthCheck({});
      expect(after.health?.status).toBe(ServiceStatus.UNHEALTHY);
      expect(after.health?.components.find((c) => c.name === "certificate")).toMatchObject({ status: ServiceStatus.UNHEALTHY, message: expect.stringContaining(`server.tls_cert_file ${cert} expired at`) });
    } finally {
      await server.stop();
    }
  }, 60_000);
});
