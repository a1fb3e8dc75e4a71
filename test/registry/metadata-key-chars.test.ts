// A registration's metadata keys took any character but were bounded only in length, so "env" and
// "env\u200b" (a zero-width space) were two keys that list alike. A key follows the ids' rule now
// (no whitespace, control, format or other invisible character: VALIDATION_ERROR naming the code
// point); a value is free text and keeps any character.
import { expect, it } from "vitest";
import { failure } from "../helpers/errors.ts";
import { startServer } from "../helpers/server.ts";
import { registryAs } from "./through-server.ts";

it("a metadata key with an invisible or blank character is refused; a value keeps it", async () => {
  const server = await startServer();
  try {
    const c = registryAs(server);
    const service = (metadata: Record<string, string>) => ({ serviceId: "svc", serviceType: "t", endpoint: "h.example:1", metadata });
    for (const [key, cp] of [["env\u200b", "U+200B"], ["env\u3164", "U+3164"], ["env ", "U+0020"], ["e\u0000nv", "U+0000"], ["\u2800", "U+2800"]]) {
      const f = await failure(c.registerService({ service: service({ [key!]: "prod" }) }));
      expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "service.metadata"]);
      expect(f.err.rawMessage).toContain(cp);
    }
    expect((await failure(c.registerService({ service: service({ "": "x" }) }))).err.rawMessage).toContain("is empty");
    expect((await c.discoverServices({ serviceType: "t" })).services).toEqual([]);
    // Visible non-ASCII keys stay allowed, and a value is free text.
    await c.registerService({ service: service({ env: "prod\u200b line\tbreak\n", "größe-β": "x" }) });
    const [listed] = (await c.discoverServices({ serviceType: "t" })).services;
    expect(listed?.service?.metadata).toEqual({ env: "prod\u200b line\tbreak\n", "größe-β": "x" });
  } finally {
    await server.stop();
  }
}, 30_000);
