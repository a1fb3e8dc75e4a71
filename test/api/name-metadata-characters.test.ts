// A script's name and metadata are bounded in characters (code points), as the proto says: an
// emoji is one character though it takes two UTF-16 units, so 200 of them make a legal name.
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { checkMetadata, checkName } from "../../src/api/script-input.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";

const EMOJI = "😀";

describe("name and metadata bounds count code points", () => {
  it("take up to the limit in characters beyond U+FFFF, and refuse one more, naming characters", () => {
    expect(() => checkName(EMOJI.repeat(256), "context.name")).not.toThrow();
    expect(() => checkName(EMOJI.repeat(257), "context.name")).toThrow(/context\.name is longer than 256 characters/);
    expect(() => checkName("a".repeat(257), "context.name")).toThrow(/256 characters/);
    expect(() => checkMetadata({ [EMOJI.repeat(128)]: EMOJI.repeat(1024) })).not.toThrow();
    expect(() => checkMetadata({ [EMOJI.repeat(129)]: "v" })).toThrow(/keys must be 1-128 characters/);
    expect(() => checkMetadata({ k: EMOJI.repeat(1025) })).toThrow(/values must be at most 1024 characters/);
    // A lone surrogate is one code point, as in a spread; a huge value is refused without counting it all.
    expect(() => checkName("\ud800".repeat(256), "n")).not.toThrow();
    expect(() => checkName("\ud800".repeat(257), "n")).toThrow(/256 characters/);
    expect(() => checkMetadata({ k: "x".repeat(50_000_000) })).toThrow(/1024 characters/);
  });

  describe("through the server", () => {
    const server = serverForTests({ args: ["--set", "pool.workers=1"] });

    it("stores a name of 200 emoji and metadata values of 600, and refuses 257 and 1025", async () => {
      const grpc = clientFor(ScriptService, "grpc-js", server);
      const name = EMOJI.repeat(200);
      const metadata = { [EMOJI.repeat(128)]: EMOJI.repeat(600) };
      const { script } = await grpc.compileScript({ source: "1 + 1", context: { scriptId: "emoji", name, metadata } });
      expect([script!.name, script!.metadata]).toEqual([name, metadata]);
      const long = await failure(grpc.compileScript({ source: "1 + 1", context: { scriptId: "emoji", name: EMOJI.repeat(257) } }));
      expect([long.code, long.reason, long.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "context.name"]);
      expect(long.err.rawMessage).toBe("context.name is longer than 256 characters");
      const value = await failure(grpc.compileScript({ source: "1 + 1", context: { scriptId: "emoji", metadata: { k: EMOJI.repeat(1025) } } }));
      expect([value.code, value.metadata.field, value.err.rawMessage]).toEqual(["InvalidArgument", "context.metadata", "context.metadata values must be at most 1024 characters"]);
    });
  });
});
