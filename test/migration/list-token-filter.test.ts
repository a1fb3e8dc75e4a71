// A ListMigrations next_page_token is bound to its filter, as ListTools' is to its tag. It was
// only a position: under another filter it silently skipped that filter's newer migrations.
import { beforeAll, expect, it } from "vitest";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { MigrationState, type MigrationFilterSchema } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { failure } from "../helpers/errors.ts";
import { config, legacyServer, SecurityLevel } from "./helpers.ts";

const c = legacyServer();
type Filter = MessageInitShape<typeof MigrationFilterSchema>;
const list = (filter: Filter, pageToken = "", pageSize = 1) => c.migration.listMigrations({ filter, pageSize, pageToken });
const dry = (toolName: string) => c.migration.migrateTool({ toolName, config: config({ dryRun: true }) });

beforeAll(async () => {
  for (const name of ["text_search", "text_search", "word_count", "word_count"]) await dry(name);
});

it("refuses a token under another filter, naming page_token", async () => {
  const token = (await list({ toolName: "text_search" })).nextPageToken;
  expect(token).not.toBe("");
  for (const other of [{ toolName: "word_count" }, {}, { toolName: "text_search", statuses: [MigrationState.DRY_RUN] }, { toolName: "text_search", securityLevel: SecurityLevel.SAFE }] as Filter[]) {
    const f = await failure(list(other, token));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", "page_token"]);
    expect(f.err.rawMessage).toContain("page_token was issued for another filter");
    expect(f.err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field)).toEqual(["page_token"]);
  }
});

it("follows a token under the same filter, however its statuses are ordered, to the end without gaps", async () => {
  const filter = (statuses: MigrationState[]): Filter => ({ statuses, startedAfter: { seconds: 1n, nanos: 0 } });
  const first = await list(filter([MigrationState.DRY_RUN, MigrationState.FAILED]));
  const ids = first.migrations.map((m) => m.migrationId);
  let token = first.nextPageToken;
  for (let flip = true; token; flip = !flip) {
    const page = await list(filter(flip ? [MigrationState.FAILED, MigrationState.DRY_RUN, MigrationState.FAILED] : [MigrationState.DRY_RUN, MigrationState.FAILED]), token);
    ids.push(...page.migrations.map((m) => m.migrationId));
    token = page.nextPageToken;
  }
  const all = (await list(filter([MigrationState.DRY_RUN]), "", 100)).migrations.map((m) => m.migrationId);
  expect(all).toHaveLength(4);
  expect(ids).toEqual(all);
});

it("still reads a token an older server issued, which recorded no filter", async () => {
  const older = Buffer.from(JSON.stringify({ seq: Number.MAX_SAFE_INTEGER })).toString("base64url");
  const page = await list({ toolName: "word_count" }, older, 100);
  expect(page.migrations.map((m) => m.toolName)).toEqual(["word_count", "word_count"]);
});
