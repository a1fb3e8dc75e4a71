// `grpcurl describe` shows the comments of the descriptors reflection serves: every service and RPC
// of the contract must carry one, or an operator sees a bare signature.
import { readFileSync } from "node:fs";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { DOCUMENTED_DESCRIPTORS } from "../../src/doors/reflection-service.ts";

// SourceCodeInfo paths: field 6 of a file is its services, field 2 of a service its methods.
const SERVICE = 6;
const METHOD = 2;

describe("the contract's documented descriptors", () => {
  it("give every service and RPC a comment", () => {
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(DOCUMENTED_DESCRIPTORS));
    const bare: string[] = [];
    for (const file of set.file.filter((f) => f.package === "scriptengine.v1")) {
      const commented = new Set(
        (file.sourceCodeInfo?.location ?? []).filter((l) => l.leadingComments.trim() !== "").map((l) => l.path.join(".")),
      );
      file.service.forEach((service, i) => {
        if (!commented.has(`${SERVICE}.${i}`)) bare.push(service.name);
        service.method.forEach((method, j) => {
          if (!commented.has(`${SERVICE}.${i}.${METHOD}.${j}`)) bare.push(`${service.name}.${method.name}`);
        });
      });
    }
    expect(set.file.some((f) => f.service.some((s) => s.name === "ScriptService"))).toBe(true);
    expect(bare).toEqual([]);
  });
});
