// health_check.failure_window decides how long a worker failure keeps the engine UNHEALTHY.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { childPids } from "../helpers/procs.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const server = serverForTests({
  toml: `[pool]\nworkers = 1\n[health_check]\ninterval = "100ms"\nunhealthy_failure_count = 1\nfailure_window = "1s"\n`,
}, { checkExit: false });

it("a worker crash counts for failure_window, not a fixed minute", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const status = async () => (await scripts.healthCheck({})).health?.status;
  for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
  const crashed = Date.now();
  for (let i = 0; i < 20 && (await status()) !== ServiceStatus.UNHEALTHY; i++) await sleep(50);
  expect(await status()).toBe(ServiceStatus.UNHEALTHY);
  while ((await status()) !== ServiceStatus.HEALTHY && Date.now() - crashed < 6000) await sleep(100);
  expect(await status()).toBe(ServiceStatus.HEALTHY);
  // Not before the window is over either.
  expect(Date.now() - crashed).toBeGreaterThanOrEqual(1000);
}, 15_000);
