// `scriptengine events` names what a MigrationCompleted reports: a migration's outcome, or a
// rollback's (the event carries the migration ROLLED_BACK, or, when the store refused the rollback,
// still COMPLETED with success false).
import { create } from "@bufbuild/protobuf";
import { expect, it } from "vitest";
import { MigrationState, ServiceEventSchema } from "../../clients/ts/src/index.ts";
import { summary } from "../../src/cli/commands/events.ts";

const completed = (success: boolean, status: MigrationState) =>
  summary(create(ServiceEventSchema, { event: { case: "migrationCompleted", value: { toolName: "t", migrationId: "mig-1", success, result: { status } } } }));

it("says rolled back, or rollback failed, for a rollback's MigrationCompleted", () => {
  expect(completed(true, MigrationState.COMPLETED)).toBe("t ok migration mig-1");
  expect(completed(false, MigrationState.FAILED)).toBe("t failed migration mig-1");
  expect(completed(true, MigrationState.ROLLED_BACK)).toBe("t rolled back migration mig-1");
  expect(completed(false, MigrationState.COMPLETED)).toBe("t rollback failed migration mig-1");
});
