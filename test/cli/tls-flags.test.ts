// A TLS flag given empty, or TLS asked for with an http:// URL, is a usage error: the CLI went on
// in plaintext or without a client certificate, and the failure blamed the server.
import { describe, expect, it } from "vitest";
import { resolveConnection } from "../../src/cli/connection.ts";
import { cli, refusal } from "./helpers.ts";

const plaintext = (address: string) => `${JSON.stringify(address)} is plaintext, but TLS was asked for (--tls, --ca, --cert or SE_TLS, SE_CA, SE_CERT): use https://`;

describe("TLS flags", () => {
  it.each([
    [{ ca: "" }, "--ca is empty: give a PEM file"],
    [{ cert: "", key: "" }, "--cert is empty: give a PEM file"],
    [{ cert: "c.pem", key: "" }, "--key is empty: give a PEM file"],
  ])("%j is a usage error, not 'no TLS'", (o, message) => {
    expect(refusal(o)).toEqual([2, message]);
  });

  it("an empty flag is refused even when the variable is set; an empty variable is unset", () => {
    expect(refusal({ ca: "" }, { SE_CA: "/etc/ca.pem" })).toEqual([2, "--ca is empty: give a PEM file"]);
    expect(resolveConnection({}, { SE_CA: "", SE_CERT: "", SE_KEY: "" }).tls).toBeUndefined();
  });

  it("an http:// URL with --tls (or SE_TLS) is refused; https:// and host:port are not", () => {
    expect(refusal({ address: "http://127.0.0.1:8080", transport: "connect", tls: true })).toEqual([2, plaintext("http://127.0.0.1:8080")]);
    expect(refusal({ address: "HTTP://127.0.0.1:8080", transport: "grpc-web" }, { SE_TLS: "1" })).toEqual([2, plaintext("HTTP://127.0.0.1:8080")]);
    expect(refusal({ address: "https://127.0.0.1:8080", transport: "connect", tls: true })).toBe("accepted");
    expect(refusal({ address: "127.0.0.1:8080", transport: "connect", tls: true })).toBe("accepted");
    expect(refusal({ address: "http://127.0.0.1:8080", transport: "connect" })).toBe("accepted");
  });

  it("the CLI exits 2 with one line, before connecting", async () => {
    for (const [args, line] of [
      [["-a", "127.0.0.1:1", "--ca", "", "health"], "scriptengine: --ca is empty: give a PEM file\n"],
      [["-a", "127.0.0.1:1", "--cert", "", "--key", "", "health"], "scriptengine: --cert is empty: give a PEM file\n"],
      [["-a", "http://127.0.0.1:1", "--transport", "connect", "--tls", "health"], `scriptengine: ${plaintext("http://127.0.0.1:1")}\n`],
    ] as const) {
      const r = await cli([...args]);
      expect([args, r.code, r.stderr]).toEqual([args, 2, line]);
    }
  });
});
