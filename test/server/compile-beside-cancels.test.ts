// A compilation waiting on a worker that another caller's cancelled script takes down (the worker
// is replaced to stop it) compiles again elsewhere: it failed WORKER_CRASHED once two such cancels
// came in a row, and CompileScript is not retried by the SDKs.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] }, { checkExit: false });

const BUSY = "const e = Date.now() + 3000; while (Date.now() < e) {} 1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it("a compile behind two cancelled scripts of another caller still compiles", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const first = new AbortController();
  const second = new AbortController();
  const r1 = scripts.runScript({ source: BUSY }, { signal: first.signal }).catch(() => {});
  await sleep(150);
  const compile = scripts.compileScript({ source: "export default () => 'compiled'", context: { scriptId: "beside-cancels" } });
  await sleep(50);
  const r2 = scripts.runScript({ source: BUSY }, { signal: second.signal }).catch(() => {});
  await sleep(100);
  first.abort(); // the worker holding the compile is replaced
  await sleep(1500); // the second script runs on the replacement, ahead of the compile
  second.abort(); // and that worker is replaced too
  const compiled = await compile;
  expect(compiled.script?.version).toBe(1);
  await Promise.all([r1, r2]);
  expect((await scripts.executeScript({ scriptId: "beside-cancels" })).result?.returnValue?.kind.value).toBe("compiled");
}, 30_000);
