// Reflection serves buf's documented descriptors (with comments) only where they are the compiled
// ones but for comments: a stale gen/descriptors must not describe fields the server does not
// speak. A mismatch or an unreadable file is logged once, and the compiled descriptors are served.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { DOCUMENTED_DESCRIPTORS, ReflectionIndex } from "../../src/doors/reflection-service.ts";
import type { Logger } from "../../src/log.ts";

function recorder() {
  const warns: { msg: string; fields?: Record<string, unknown> }[] = [];
  const log = { warn: (msg: string, fields?: Record<string, unknown>) => void warns.push({ msg, fields }) } as unknown as Logger;
  return { warns, log };
}

/** File name → whether reflection serves it with comments. */
function served(index: ReflectionIndex): Record<string, boolean> {
  return Object.fromEntries(
    index.encode(ScriptService.file).map((bytes) => {
      const f = fromBinary(FileDescriptorProtoSchema, bytes);
      return [f.name, f.sourceCodeInfo !== undefined];
    }),
  );
}

describe("reflection's documented descriptors", () => {
  it("an up-to-date set is served with its comments, and nothing is logged", () => {
    const { warns, log } = recorder();
    const files = served(new ReflectionIndex([ScriptService], [], { log }));
    expect(files["scriptengine/v1/script_service.proto"]).toBe(true);
    expect(Object.values(files).every(Boolean)).toBe(true);
    expect(warns).toEqual([]);
  });

  it("a file that differs from the compiled one (a field renumbered) is served as compiled, and logged once", () => {
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(DOCUMENTED_DESCRIPTORS));
    const script = set.file.find((f) => f.name === "scriptengine/v1/script.proto")!;
    script.messageType[0]!.field[0]!.number += 100;
    const stale = join(mkdtempSync(join(tmpdir(), "se-reflection-")), "stale.binpb");
    writeFileSync(stale, toBinary(FileDescriptorSetSchema, set));

    const { warns, log } = recorder();
    const index = new ReflectionIndex([ScriptService], [], { documented: pathToFileURL(stale), log });
    const files = served(index);
    expect(files["scriptengine/v1/script.proto"]).toBe(false);
    expect(files["scriptengine/v1/script_service.proto"]).toBe(true);
    const compiled = index.encode(ScriptService.file).map((b) => fromBinary(FileDescriptorProtoSchema, b)).find((f) => f.name === "scriptengine/v1/script.proto")!;
    expect(compiled.messageType[0]!.field[0]!.number).toBe(script.messageType[0]!.field[0]!.number - 100);
    expect(warns).toHaveLength(1);
    expect(warns[0]!.fields).toEqual({ files: ["scriptengine/v1/script.proto"] });
  });

  it("is read only when a file is first asked for (not at every server start), and logged once", () => {
    const { warns, log } = recorder();
    const index = new ReflectionIndex([ScriptService], [], { documented: pathToFileURL("/nonexistent/scriptengine.binpb"), log });
    expect(index.serviceNames).toEqual([ScriptService.typeName]);
    expect(warns).toEqual([]);
    served(index);
    served(index);
    expect(warns).toHaveLength(1);
  });

  it("an unreadable set is logged, and the compiled descriptors are served", () => {
    const { warns, log } = recorder();
    const files = served(new ReflectionIndex([ScriptService], [], { documented: pathToFileURL("/nonexistent/scriptengine.binpb"), log }));
    expect(Object.values(files).some(Boolean)).toBe(false);
    expect(warns.map((w) => w.msg)).toEqual([expect.stringContaining("could not be read")]);
  });
});
