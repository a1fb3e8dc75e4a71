// A ListTools page stops at ~2 MiB on the wire (tool_service.proto), under the 4 MiB a gRPC client
// receives by default. The budget counted neither tags nor a schema's size as a Struct (every
// value a message of its own, a number in a list 11 bytes against its 2 in JSON), nor UTF-8, so a
// page of tools with many tags or big schemas went past 4 MiB and grpc-js, grpcurl, Go and
// Python clients could not list the tools at all. A migration now refuses more than 32 tags, but
// tools stored before that may have many: those tags are written into the store here.
import { mkdtempSync, writeFileSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MigrationState } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import { ListToolsResponseSchema } from "../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { MAX_PAGE_BYTES } from "../../src/store/database.ts";
import { startServer, type TestServer } from "../helpers/server.ts";
import { clients, config } from "../migration/helpers.ts";

const tool = (name: string, body: string) =>
  `export const name = ${JSON.stringify(name)};\nexport const description = "d";\nexport const version = "1.0.0";\n${body}\n` +
  `export async function call(args) { return { ok: true }; }\n`;

const root = mkdtempSync(join(tmpdir(), "se-list-tools-bytes-"));
let server: TestServer;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  for (let i = 1; i <= 6; i++) {
    writeFileSync(join(root, `tags${i}.js`), tool(`tags${i}`, `export const tags = ["many-tags"];\nexport const inputSchema = { type: "object" };`));
  }
  // Input and output schemas of 32 KiB of JSON each, ~176 KB each as a Struct.
  for (let i = 1; i <= 13; i++) {
    writeFileSync(join(root, `schema${i}.js`), tool(`schema${i}`, `export const tags = ["big-schema"];\nexport const inputSchema = { type: "object", examples: new Array(16000).fill(0) };\nexport const outputSchema = { type: "object", examples: new Array(16000).fill(0) };`));
  }
  server = await startServer({ args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server); // grpc-js: receives at most 4 MiB
  for (const name of [...Array.from({ length: 6 }, (_, i) => `tags${i + 1}`), ...Array.from({ length: 13 }, (_, i) => `schema${i + 1}`)]) {
    const r = await c.migration.migrateTool({ toolName: name, config: config({ skipChecks: ["smoke_run"] }) });
    expect([name, r.result?.status]).toEqual([name, MigrationState.COMPLETED]);
  }
  expect(await server.stop()).toBe(0);
  // 60,000 tags each (~0.9 MB as a message, CJK: 3 bytes a character in UTF-8).
  const tags = JSON.stringify(["many-tags", ...Array.from({ length: 60000 }, (_, i) => "标签" + String(i).padStart(6, "0"))]);
  const db = new DatabaseSync(join(server.dataDir, "scriptengine.db"));
  expect(Number(db.prepare("UPDATE tools SET tags_json = ? WHERE name LIKE 'tags%'").run(tags).changes)).toBe(6);
  db.close();
  server = await startServer({ dataDir: server.dataDir, args: ["--set", `tools.legacy_root=${root}`, "--set", "pool.workers=1"] });
  c = clients(server);
}, 180_000);
afterAll(async () => {
  await server.stop();
});

/** Every page of the listing (by a grpc-js client), each with its encoded size. */
async function pages(tag: string) {
  const out: { names: string[]; bytes: number }[] = [];
  let pageToken = "";
  do {
    const r = await c.tools.listTools({ tag, pageToken });
    out.push({ names: r.tools.map((t) => t.name), bytes: toBinary(ListToolsResponseSchema, r).length });
    pageToken = r.nextPageToken;
  } while (pageToken);
  return out;
}

it.each([
  ["many-tags", 6],
  ["big-schema", 13],
  ["", 6 + 13 + 2],
])("every page of ListTools (tag %j) stays within ~2 MiB, so a gRPC client receives it", async (tag, count) => {
  const all = await pages(tag);
  for (const p of all) expect(p.bytes).toBeLessThanOrEqual(MAX_PAGE_BYTES + 4096);
  expect(all.flatMap((p) => p.names)).toHaveLength(count);
  // The budget is the wire size, not a gross overestimate: pages are filled.
  expect(all.length).toBeLessThanOrEqual(Math.ceil(all.reduce((n, p) => n + p.bytes, 0) / MAX_PAGE_BYTES) + 1);
}, 60_000);
