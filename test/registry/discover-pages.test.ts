// DiscoverServices through the real server: a page stops at ~2 MiB whatever page_size asks, like
// the store's listings, so a page always fits the 4 MiB gRPC clients receive by default; and the
// default per-registration metadata cap keeps one registration small.
import { describe, expect, it } from "vitest";
import { toBinary } from "@bufbuild/protobuf";
import { DiscoverServicesResponseSchema } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { registryAs, wideMetadata } from "./through-server.ts";

const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const COUNT = 200;

const server = serverForTests({ toml: "[discovery]\nenabled = false\n" }, { checkExit: false });

describe("DiscoverServices pages", () => {
  it("stop at the byte budget with a next_page_token, and the pages together hold every registration", async () => {
    const c = registryAs(server, undefined, "grpc-over-http");
    // ~15 KB each (340 three-byte characters x 15), 200 of them: ~3 MB in all.
    const ids = Array.from({ length: COUNT }, (_, i) => `big-${String(i).padStart(4, "0")}`);
    for (let i = 0; i < ids.length; i += 25) {
      await Promise.all(
        ids.slice(i, i + 25).map((id, k) =>
          c.registerService({
            service: { serviceId: id, serviceType: "big", endpoint: "127.0.0.1:1", metadata: wideMetadata(15, 340, i + k) },
            ttl: { seconds: 600n },
          }),
        ),
      );
    }
    const seen: string[] = [];
    let token = "";
    let pages = 0;
    do {
      const res = await c.discoverServices({ serviceType: "big", pageSize: 500, pageToken: token });
      const bytes = toBinary(DiscoverServicesResponseSchema, res).length;
      expect(bytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
      expect(res.services.length).toBeGreaterThan(0);
      seen.push(...res.services.map((s) => s.service!.serviceId));
      token = res.nextPageToken;
      pages++;
      expect(pages).toBeLessThan(10);
    } while (token !== "");
    expect(pages).toBeGreaterThan(1);
    expect(seen).toEqual(ids);
  });

  it("the default page of the same registrations fits in one response under the budget", async () => {
    const res = await registryAs(server).discoverServices({ serviceType: "big" });
    expect(res.services.length).toBe(50);
    expect(toBinary(DiscoverServicesResponseSchema, res).length).toBeLessThanOrEqual(MAX_PAGE_BYTES);
  });

  it("a registration's metadata is capped at 16 KiB by default, counted in UTF-8 bytes", async () => {
    const c = registryAs(server);
    // 17 x 340 three-byte characters: 17,340 bytes, though only 5,780 characters.
    const f = await failure(
      c.registerService({ service: { serviceId: "wide", serviceType: "big", endpoint: "127.0.0.1:1", metadata: wideMetadata(17, 340) } }),
    );
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "service.metadata"]);
    expect(f.err.rawMessage).toMatch(/16384 bytes/);
  });
});
