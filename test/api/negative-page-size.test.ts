// A negative page_size is INVALID_ARGUMENT on every listing, with the same VALIDATION_ERROR and
// BadRequest field violation naming page_size that DiscoverServices gives; 0 still means the default.
import { expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ToolService } from "../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

const listings = (pageSize: number) => ({
  ListScripts: () => clientFor(ScriptService, "grpc-js", server).listScripts({ pageSize }),
  ListTools: () => clientFor(ToolService, "grpc-js", server).listTools({ pageSize }),
  ListMigrations: () => clientFor(MigrationService, "grpc-js", server).listMigrations({ pageSize }),
  DiscoverServices: () => clientFor(RegistryService, "grpc-js", server).discoverServices({ pageSize }),
});

it.each(Object.keys(listings(0)))("%s refuses page_size -1 as DiscoverServices does, and takes 0 as the default", async (name) => {
  const call = (size: number) => listings(size)[name as keyof ReturnType<typeof listings>]();
  const f = await failure(call(-1));
  expect([f.code, f.reason, f.metadata.field, f.err.rawMessage]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "page_size", "page_size must be >= 0"]);
  expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["page_size"]);
  await expect(call(0)).resolves.toBeDefined();
});
