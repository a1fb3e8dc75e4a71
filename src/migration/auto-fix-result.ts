// The MigrationResult an auto_fix that fills a missing input schema leaves for the tool's migration:
// the one stored with it, its metadata saying what was filled. It is stored in place of the
// migration's and is the result of the MigrationCompleted the fill publishes, as a rollback's is;
// a fill the store refuses publishes failedChangeResult's (success false), as a rollback does.
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import type { MigrationResult } from "../../gen/ts/scriptengine/v1/migration_pb.js";
import type { StoredMigration } from "../store/migrations.ts";
import { storedResult } from "./rollback-result.ts";

const FILLED = "filled inputSchema";

/** metadata.auto_fix gains "filled inputSchema" (after what an auto_fix re-migration put there). */
export function schemaFilledResult(m: StoredMigration): MigrationResult {
  const r = storedResult(m);
  const before = r.metadata.auto_fix?.kind.case === "stringValue" ? r.metadata.auto_fix.kind.value : "";
  r.metadata.auto_fix = create(ValueSchema, { kind: { case: "stringValue", value: before ? `${before}; ${FILLED}` : FILLED } });
  return r;
}
