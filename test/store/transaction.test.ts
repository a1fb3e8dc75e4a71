// transaction() on a store with no room left: the caller sees the real cause (SQLite has already
// rolled back), the store stays usable, and a request failing for it is RESOURCE_EXHAUSTED.
import { DatabaseSync } from "node:sqlite";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { toServiceError } from "../../src/errors.ts";
import { transaction } from "../../src/store/database.ts";

describe("transaction on a full store", () => {
  it("throws the store's own error, keeps nothing of the transaction, and maps to RESOURCE_EXHAUSTED", () => {
    const db = new DatabaseSync(":memory:");
    db.exec("CREATE TABLE t (x BLOB)");
    db.exec("PRAGMA max_page_count = 20"); // a disk with ~80 KB of room
    const insert = db.prepare("INSERT INTO t VALUES (?)");
    let thrown: unknown;
    try {
      transaction(db, () => {
        for (let i = 0; i < 100; i++) insert.run(Buffer.alloc(4000));
      });
    } catch (err) {
      thrown = err;
    }
    expect(String(thrown)).toMatch(/database or disk is full/);
    expect(db.isTransaction).toBe(false);
    expect((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(0);
    transaction(db, () => insert.run(Buffer.alloc(10)));
    expect((db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n).toBe(1);

    const e = toServiceError(thrown);
    expect(e.code).toBe(Code.ResourceExhausted);
    expect(e.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "RESOURCE_EXCEEDED", metadata: { resource: "disk" } });
  });
});
