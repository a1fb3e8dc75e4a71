// A ListScripts page stops at ~2 MiB on the wire whatever characters callers store: the wire
// carries UTF-8, so a name and metadata in CJK text (3 bytes per character) must count as such,
// or a default page outgrows the 4 MiB a gRPC client receives by default.
import { describe, expect, it } from "vitest";
import { toBinary } from "@bufbuild/protobuf";
import { ListScriptsResponseSchema, ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";

const MiB = 1024 * 1024;
const SCRIPTS = 30;

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

describe("ListScripts pages of CJK names and metadata", () => {
  it("stay at ~2 MiB encoded, and a default grpc-js client reads every page", async () => {
    const grpc = clientFor(ScriptService, "grpc-js", server);
    // The largest legal name and metadata, in 3-byte characters: ~220 KB of UTF-8 per script.
    const name = "漢".repeat(256);
    const metadata = Object.fromEntries(Array.from({ length: 64 }, (_, k) => ["漢".repeat(120) + k, "漢".repeat(1024)]));
    for (let i = 0; i < SCRIPTS; i++) {
      await grpc.compileScript({ source: "1 + 1", context: { scriptId: `cjk-${String(i).padStart(2, "0")}`, name, metadata } });
    }
    const seen: string[] = [];
    const sizes: number[] = [];
    let token = "";
    do {
      const page = await grpc.listScripts({ pageToken: token });
      sizes.push(toBinary(ListScriptsResponseSchema, page).length);
      seen.push(...page.scripts.map((s) => s.script!.scriptId));
      token = page.nextPageToken;
    } while (token && sizes.length < 20);
    expect(seen).toEqual(Array.from({ length: SCRIPTS }, (_, i) => `cjk-${String(i).padStart(2, "0")}`));
    for (const size of sizes) expect(size).toBeLessThan(2.2 * MiB);
    // Counted from above, but not so far that a full page holds much less than 2 MiB.
    for (const size of sizes.slice(0, -1)) expect(size).toBeGreaterThan(1.7 * MiB);
  }, 120_000);
});
