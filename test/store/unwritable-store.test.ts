// A store the server may not write (a read-only mount, another user's files): SQLite opens the file
// read-only, fails to lock it and says "disk I/O error", sending the operator to a healthy disk. The
// line now says the store is not writable, with the errno and the path.
import { expect, it } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, startServer } from "../helpers/server.ts";

const root = process.getuid?.() === 0;
// Root writes anywhere: the server is run as nobody instead (util-linux setpriv).
const asOther = root ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
const canDrop = !root || spawnSync("setpriv", ["--version"]).status === 0;

it.skipIf(!canDrop)("a store that is not writable: exit 1 with one line saying so, not 'disk I/O error'", async () => {
  const first = await startServer();
  expect(await first.stop()).toBe(0);
  const dir = first.dataDir;
  // Readable by the other user (root's case), writable by nobody else.
  chmodSync(dir, 0o555);
  for (const f of readdirSync(dir)) chmodSync(join(dir, f), 0o444);
  const [cmd, ...pre] = [...asOther, process.execPath];
  const proc = spawn(cmd!, [...pre, join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", "--data-dir", dir], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  // Bounded: a server that starts after all is ended here rather than left running.
  const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
  const code = await new Promise<number | null>((res) => proc.once("exit", res));
  clearTimeout(timer);
  chmodSync(dir, 0o755);
  const lines = stderr.split("\n").filter((l) => l.startsWith("scriptengine:"));
  expect([code, lines]).toEqual([1, [expect.stringMatching(new RegExp(`^scriptengine: cannot use ${dir} \\(server\\.data_dir\\): not writable: (EACCES|EROFS|EPERM): .*'${dir}'$`))]]);
});
