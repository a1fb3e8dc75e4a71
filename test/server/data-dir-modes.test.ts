// The store holds every stored script's and tool's source and the event log: a data directory the
// server creates is 0700 and its files 0600, whatever the umask (they were 0755 and 0644 under the
// common 022; registry-expired was, after the others). An existing directory keeps its mode.
import { mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { startServer } from "../helpers/server.ts";

/** Started through sh with a permissive umask, as a service manager may leave it. */
const UMASK_022 = ["sh", "-c", 'umask 022; exec "$0" "$@"'];
const mode = (path: string) => statSync(path).mode & 0o777;

it("creates the data directory (and its missing parents) 0700 and the store's files 0600", async () => {
  const parent = join(mkdtempSync(join(tmpdir(), "se-modes-")), "var");
  const dataDir = join(parent, "data");
  const server = await startServer({ dataDir, launcher: UMASK_022 });
  await server.stop();
  expect(mode(parent).toString(8)).toBe("700");
  expect(mode(dataDir).toString(8)).toBe("700");
  const files = readdirSync(dataDir).filter((name) => name.startsWith("scriptengine.db") || name === "event-sequences" || name === "registry-expired");
  expect(files).toEqual(expect.arrayContaining(["scriptengine.db", "event-sequences", "registry-expired"]));
  expect(Object.fromEntries(files.map((name) => [name, mode(join(dataDir, name)).toString(8)]))).toEqual(Object.fromEntries(files.map((name) => [name, "600"])));
});

it("leaves an existing data directory's mode as it is", async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), "se-modes-")), "data");
  mkdirSync(dataDir, { mode: 0o750 });
  const server = await startServer({ dataDir, launcher: UMASK_022 });
  await server.stop();
  expect(mode(dataDir).toString(8)).toBe("750");
  expect(mode(join(dataDir, "scriptengine.db")).toString(8)).toBe("600");
});
