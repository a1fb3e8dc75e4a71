// A HealthCheck's status and message agree with the components in the same answer: a worker's
// crash shows in both at once, not in the components alone until the monitor's next look.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";
import { childPids } from "../helpers/procs.ts";
import { until } from "../helpers/until.ts";

// The monitor looks once a minute: within the test, only the HealthCheck itself can move the status.
const server = serverForTests({
  toml: `[pool]\nworkers = 1\n[health_check]\ninterval = "60s"\nunhealthy_failure_count = 1\nfailure_window = "60s"\n`,
}, { checkExit: false });

it("a worker crash shows in the status as in the components", async () => {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  expect((await scripts.healthCheck({})).health?.status).toBe(ServiceStatus.HEALTHY);
  for (const pid of childPids(server.proc.pid!)) process.kill(pid, "SIGKILL");
  const health = await until("a component tells of the crash", async () => {
    const h = (await scripts.healthCheck({})).health!;
    return h.components.some((c) => c.status !== ServiceStatus.HEALTHY) && h;
  });
  const worst = health.components.find((c) => c.status === ServiceStatus.UNHEALTHY)!;
  expect(worst).toBeDefined();
  expect(health.status).toBe(ServiceStatus.UNHEALTHY);
  expect(health.message).toBe(`${worst.name}: ${worst.message}`);
}, 15_000);
