// gRPC server reflection (v1 and v1alpha), built on the descriptors protobuf-es embeds in the
// generated code, so grpcurl can list and describe everything with no .proto files at hand. Those
// carry no comments; the files `make gen` also writes with buf (source info kept) are served in
// their place, so `grpcurl describe` shows each proto's documentation.
import { readFileSync } from "node:fs";
import { fromBinary, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ReflectionV1, type ServerReflectionRequest } from "../../gen/ts/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/ts/grpc/reflection/v1alpha/reflection_pb.js";

const NOT_FOUND = 5;

/** The file and everything it imports, each once, dependencies first. */
function withDependencies(file: DescFile, seen = new Set<string>(), out: DescFile[] = []): DescFile[] {
  if (seen.has(file.name)) return out;
  seen.add(file.name);
  for (const dep of file.dependencies) withDependencies(dep, seen, out);
  out.push(file);
  return out;
}

/** The generated descriptor set with comments, by file name (empty when it cannot be read). */
export const DOCUMENTED_DESCRIPTORS = new URL("../../gen/descriptors/scriptengine.binpb", import.meta.url);

function documentedFiles(from: URL): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  try {
    for (const f of fromBinary(FileDescriptorSetSchema, readFileSync(from)).file) out.set(f.name, toBinary(FileDescriptorProtoSchema, f));
  } catch {
    /* without it, reflection serves the same descriptors without comments */
  }
  return out;
}

export class ReflectionIndex {
  private readonly services: DescService[];
  private readonly registry: Registry;
  private readonly files = new Map<string, DescFile>();
  private readonly documented: Map<string, Uint8Array>;

  /** `extraFiles`: files no service imports but clients need, such as google.rpc error details. */
  constructor(services: DescService[], extraFiles: DescFile[] = [], documented: URL = DOCUMENTED_DESCRIPTORS) {
    this.documented = documentedFiles(documented);
    this.services = services;
    const seen = new Set<string>();
    const files: DescFile[] = [];
    for (const f of [...services.map((s) => s.file), ...extraFiles]) withDependencies(f, seen, files);
    for (const f of files) this.files.set(f.proto.name, f);
    this.registry = createRegistry(...files);
  }

  get serviceNames(): string[] {
    return this.services.map((s) => s.typeName);
  }

  fileByName(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  /** Finds the file declaring a message, enum, service, method ("pkg.Svc.Method") or extension. */
  fileBySymbol(symbol: string): DescFile | undefined {
    const desc = this.registry.get(symbol);
    if (desc) return "file" in desc ? desc.file : undefined;
    const dot = symbol.lastIndexOf(".");
    const parent = dot > 0 ? this.registry.getService(symbol.slice(0, dot)) : undefined;
    return parent?.methods.some((m) => m.name === symbol.slice(dot + 1)) ? parent.file : undefined;
  }

  hasMessage(typeName: string): boolean {
    return this.registry.getMessage(typeName) !== undefined;
  }

  encode(file: DescFile): Uint8Array[] {
    return withDependencies(file).map((f) => this.documented.get(f.proto.name) ?? toBinary(FileDescriptorProtoSchema, f.proto));
  }
}

type Response = { messageResponse: { case: string; value: unknown } };

function answer(index: ReflectionIndex, req: ServerReflectionRequest): Response {
  const notFound = (what: string): Response => ({
    messageResponse: { case: "errorResponse", value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` } },
  });
  const files = (file: DescFile | undefined, what: string): Response =>
    file
      ? { messageResponse: { case: "fileDescriptorResponse", value: { fileDescriptorProto: index.encode(file) } } }
      : notFound(what);
  const r = req.messageRequest;
  switch (r.case) {
    case "listServices":
      return {
        messageResponse: { case: "listServicesResponse", value: { service: index.serviceNames.map((name) => ({ name })) } },
      };
    case "fileByFilename":
      return files(index.fileByName(r.value), `file ${r.value}`);
    case "fileContainingSymbol":
      return files(index.fileBySymbol(r.value), `symbol ${r.value}`);
    case "fileContainingExtension":
      return notFound(`extension ${r.value.containingType}:${r.value.extensionNumber}`);
    case "allExtensionNumbersOfType":
      return index.hasMessage(r.value)
        ? { messageResponse: { case: "allExtensionNumbersResponse", value: { baseTypeName: r.value, extensionNumber: [] } } }
        : notFound(`type ${r.value}`);
    default:
      return { messageResponse: { case: "errorResponse", value: { errorCode: 3, errorMessage: "empty request" } } };
  }
}

function reflectionImpl(index: ReflectionIndex) {
  return {
    async *serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequest>) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, ...answer(index, req) };
      }
    },
  };
}

export const reflectionV1 = (index: ReflectionIndex) => reflectionImpl(index) as unknown as ServiceImpl<typeof ReflectionV1>;
export const reflectionV1Alpha = (index: ReflectionIndex) => reflectionImpl(index) as unknown as ServiceImpl<typeof ReflectionV1Alpha>;
export { ReflectionV1, ReflectionV1Alpha };
