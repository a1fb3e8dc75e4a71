// The names a client certificate answers to, as Node shows its subject and SANs: a quoted SAN
// value holding ", DNS:..." is one name, never a second entry.
import { describe, expect, it } from "vitest";
import type { PeerCertificate } from "node:tls";
import { certificateNames } from "../../src/auth/client-certificate.ts";

const cert = (subject: Record<string, string | string[]>, subjectaltname?: string) => ({ subject, subjectaltname }) as unknown as PeerCertificate;

describe("certificateNames", () => {
  it("reads the subject CN, then DNS and URI SANs, and nothing else", () => {
    expect(certificateNames(cert({ CN: "svc-a" }, "DNS:svc-a.internal, IP Address:127.0.0.1, URI:spiffe://example.test/a, email:a@example.test"))).toEqual([
      "svc-a",
      "svc-a.internal",
      "spiffe://example.test/a",
    ]);
    expect(certificateNames(cert({ CN: ["one", "two"], O: "org" }))).toEqual(["one", "two"]);
    expect(certificateNames(cert({ O: "no cn" }))).toEqual([]);
  });

  it("takes a quoted value as one name, so a SAN cannot pose as another entry", () => {
    expect(certificateNames(cert({}, 'DNS:"evil, DNS:admin.internal", URI:"spiffe://x/\\"q\\""'))).toEqual(["evil, DNS:admin.internal", 'spiffe://x/"q"']);
  });
});
