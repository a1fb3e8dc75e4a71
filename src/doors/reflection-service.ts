// gRPC server reflection (v1 and v1alpha), built on the descriptors protobuf-es embeds in the
// generated code, so grpcurl can list and describe everything with no .proto files at hand. Those
// carry no comments; the files `make gen` also writes with buf (source info kept) are served in
// their place, so `grpcurl describe` shows each proto's documentation, but only a file that is
// the compiled one but for that: a stale descriptor set (buf run without `make gen`, an old deploy)
// would describe fields the server does not speak.
import { readFileSync } from "node:fs";
import { clone, fromBinary, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import { createRegistry, type Registry } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "../log.ts";
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

function documentedFiles(from: URL, log?: Logger): Map<string, FileDescriptorProto> {
  try {
    return new Map(fromBinary(FileDescriptorSetSchema, readFileSync(from)).file.map((f) => [f.name, f]));
  } catch (err) {
    log?.warn("reflection serves descriptors without comments: the documented descriptor set could not be read", { file: from.pathname, error: String(err) });
    return new Map();
  }
}

/**
 * The file as the server compiled it, for comparison: buf's copy differs only by its comments
 * (source_code_info) and buf's own unknown fields; protobuf-es embeds neither.
 */
const comparable = (f: FileDescriptorProto): Uint8Array => {
  const bare = clone(FileDescriptorProtoSchema, f);
  bare.sourceCodeInfo = undefined;
  return toBinary(FileDescriptorProtoSchema, bare, { writeUnknownFields: false });
};

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

export interface ReflectionOptions {
  /** The documented descriptor set (default: the one `make gen` writes). */
  documented?: URL;
  /** Told, once (at the first request for a file), when the documented files cannot be read or do not match the compiled ones. */
  log?: Logger;
}

export class ReflectionIndex {
  private readonly services: DescService[];
  private readonly registry: Registry;
  private readonly files = new Map<string, DescFile>();
  private readonly options: ReflectionOptions;
  /**
   * What is served per file name: the documented encoding where it matches, else the compiled one.
   * Made at the first request that needs it (~40-80 ms of CPU: every server start paid it, while few
   * servers are ever asked to describe themselves).
   */
  private encodedFiles: Map<string, Uint8Array> | undefined;

  /** `extraFiles`: files no service imports but clients need, such as google.rpc error details. */
  constructor(services: DescService[], extraFiles: DescFile[] = [], options: ReflectionOptions = {}) {
    this.services = services;
    this.options = options;
    const seen = new Set<string>();
    const files: DescFile[] = [];
    for (const f of [...services.map((s) => s.file), ...extraFiles]) withDependencies(f, seen, files);
    for (const f of files) this.files.set(f.proto.name, f);
    this.registry = createRegistry(...files);
  }

  private get encoded(): Map<string, Uint8Array> {
    if (this.encodedFiles) return this.encodedFiles;
    const { documented: from, log } = this.options;
    const documented = documentedFiles(from ?? DOCUMENTED_DESCRIPTORS, log);
    const encoded = new Map<string, Uint8Array>();
    const stale: string[] = [];
    for (const f of this.files.values()) {
      const compiled = toBinary(FileDescriptorProtoSchema, f.proto);
      const doc = documented.get(f.proto.name);
      const matches = doc !== undefined && sameBytes(comparable(doc), compiled);
      if (doc !== undefined && !matches) stale.push(f.proto.name);
      encoded.set(f.proto.name, matches ? toBinary(FileDescriptorProtoSchema, doc) : compiled);
    }
    if (stale.length > 0) {
      log?.warn("reflection serves these files without comments: the documented descriptor set does not match the compiled code (run make gen)", { files: stale });
    }
    this.encodedFiles = encoded;
    return encoded;
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
    return withDependencies(file).map((f) => this.encoded.get(f.proto.name) ?? toBinary(FileDescriptorProtoSchema, f.proto));
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
