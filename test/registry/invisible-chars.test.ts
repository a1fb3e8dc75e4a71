// service_id, service_type and version refuse Unicode format characters (\p{Cf}: zero-width
// spaces, bidi overrides, ...) and the other characters that print as nothing or blank (Hangul
// fillers, variation selectors, U+2800): an entry could pass for another service in listings.
// Visible non-ASCII stays allowed. discovery.* reuses the check.
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ServiceInfoSchema, type ServiceInfo } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { RegistryError, tokenProblem, validateServiceInfo } from "../../src/registry/index.ts";
import { failure } from "../helpers/errors.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs, startOutcome } from "./through-server.ts";

const info = (extra: { serviceId?: string; serviceType?: string; version?: string }): ServiceInfo =>
  create(ServiceInfoSchema, { serviceId: "svc", serviceType: "t", version: "v1", endpoint: "h.example:1", ...extra });

function fieldOf(i: ServiceInfo): { field?: string; message: string } | undefined {
  try {
    validateServiceInfo(i);
  } catch (e) {
    expect(e).toBeInstanceOf(RegistryError);
    expect((e as RegistryError).reason).toBe("VALIDATION_ERROR");
    return { field: (e as RegistryError).field, message: (e as RegistryError).message };
  }
  return undefined;
}

describe("invisible characters in registry tokens", () => {
  it.each([
    ["serviceId", "service.service_id", "wide-\u202eevil", "U+202E"], // right-to-left override
    ["serviceId", "service.service_id", "svc\u200b", "U+200B"], // zero-width space
    ["serviceType", "service.service_type", "\u2066t\u2069", "U+2066"], // left-to-right isolate
    ["serviceType", "service.service_type", "\ufefft", "U+FEFF"], // zero-width no-break space
    ["version", "service.version", "v\u200b1", "U+200B"],
    ["version", "service.version", "v1\u00ad", "U+00AD"], // soft hyphen
    ["serviceId", "service.service_id", "svc\u3164", "U+3164"], // Hangul filler: prints as nothing
    ["serviceId", "service.service_id", "s\ufe0fvc", "U+FE0F"], // variation selector
    ["serviceType", "service.service_type", "t\u2800", "U+2800"], // braille blank
  ] as const)("%s %j is refused naming %s", (key, field, value, cp) => {
    const got = fieldOf(info({ [key]: value }));
    expect(got?.field).toBe(field);
    expect(got?.message).toContain(cp);
  });

  it("visible non-ASCII is still accepted", () => {
    expect(fieldOf(info({ serviceId: "dienst-ü", serviceType: "サービス", version: "β-2" }))).toBeUndefined();
    expect(tokenProblem("engine-a.eu_1", 128, true)).toBeNull();
  });

  it("RegisterService answers INVALID_ARGUMENT naming the field", async () => {
    const server = await startServer();
    try {
      const c = registryAs(server);
      const f = await failure(c.registerService({ service: { serviceId: "wide-\u202eevil", serviceType: "t", endpoint: "h.example:1" } }));
      expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "service.service_id"]);
      const v = await failure(c.registerService({ service: { serviceId: "wide", serviceType: "t", version: "v\u200b1", endpoint: "h.example:1" } }));
      expect([v.code, v.metadata.field]).toEqual(["InvalidArgument", "service.version"]);
      // Not format characters, yet as blank: "svc" and "svc\u3164" would list alike.
      const filler = await failure(c.registerService({ service: { serviceId: "svc\u3164", serviceType: "t", endpoint: "h.example:1" } }));
      expect([filler.code, filler.metadata.field]).toEqual(["InvalidArgument", "service.service_id"]);
      expect(filler.err.rawMessage).toContain("U+3164");
      expect((await c.discoverServices({ serviceType: "t" })).services).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 30_000);

  it("discovery.service_id with a zero-width space stops the server naming the key", async () => {
    const { outcome, stderr } = await startOutcome(["--set", "discovery.service_id=engine\u200b"]);
    expect(outcome).toBe(2);
    expect(stderr.split("\n")[0]).toMatch(/^scriptengine: config: discovery\.service_id: .*U\+200B/);
  }, 30_000);
});
