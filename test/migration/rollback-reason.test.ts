// RollbackConfig.reason is stored with the migration, logged and echoed in the result: bounded like
// a metadata value (1024 characters), a longer one is INVALID_ARGUMENT naming config.reason.
import { afterAll, beforeAll, expect, it } from "vitest";
import { RollbackAction } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { TestServer } from "../helpers/server.ts";
import { failure } from "../helpers/errors.ts";
import { clients, config, legacyCopy, startWithLegacy } from "./helpers.ts";

let server: TestServer;
let c: ReturnType<typeof clients>;
beforeAll(async () => {
  server = await startWithLegacy(legacyCopy());
  c = clients(server);
  await c.migration.migrateTool({ toolName: "text_search", config: config() });
});
afterAll(async () => {
  await server.stop();
});

it("a reason over 1024 characters is refused and changes nothing; 1024 is fine", async () => {
  const f = await failure(c.migration.rollbackTool({ toolName: "text_search", config: { reason: "x".repeat(1025) } }));
  expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "config.reason"]);
  expect((await c.tools.getTool({ name: "text_search" })).tool?.name).toBe("text_search");
  const r = (await c.migration.rollbackTool({ toolName: "text_search", config: { reason: "y".repeat(1024) } })).result!;
  expect(r.action).toBe(RollbackAction.REMOVED_TOOL);
  expect(r.messages).toContain(`reason: ${"y".repeat(1024)}`);
});

it("the 1024 counts UTF-16 code units, as the proto says: 512 emoji fit, 513 do not", async () => {
  await c.migration.migrateTool({ toolName: "text_search", config: config({ force: true }) });
  const f = await failure(c.migration.rollbackTool({ toolName: "text_search", config: { reason: "🙂".repeat(513) } }));
  expect([f.reason, f.metadata.field]).toEqual(["VALIDATION_ERROR", "config.reason"]);
  const r = (await c.migration.rollbackTool({ toolName: "text_search", config: { reason: "🙂".repeat(512) } })).result!;
  expect(r.messages).toContain(`reason: ${"🙂".repeat(512)}`);
});
