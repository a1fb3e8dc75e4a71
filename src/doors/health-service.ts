// The standard grpc.health.v1.Health service, following the engine's HealthState. "" names the
// server, and it and the services that run the engine's work (ScriptService, MigrationService:
// both refuse work unless the engine accepts it) are SERVING while it does (HEALTHY or DEGRADED),
// NOT_SERVING otherwise. The others (events, registry, tools) go on while the engine is stopped,
// so a per-service load balancer must not drain them: they are NOT_SERVING only while STOPPING
// (a Stop's drain, or the server shutting down).
import { type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import { ServiceStatus } from "../../gen/ts/scriptengine/v1/common_pb.js";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { serviceError } from "../errors.ts";
import type { HealthState } from "../health/state.ts";

const ENGINE_SERVICES = new Set(["", ScriptService.typeName, MigrationService.typeName]);

export function healthService(state: HealthState, serviceNames: string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const up = (service: string) => (ENGINE_SERVICES.has(service) ? state.serving : state.status !== ServiceStatus.STOPPING);
  const statusOf = (service: string) => (!known.has(service) ? Serving.SERVICE_UNKNOWN : up(service) ? Serving.SERVING : Serving.NOT_SERVING);
  return {
    check(req) {
      if (!known.has(req.service)) throw serviceError("SERVICE_NOT_FOUND", `unknown service "${req.service}"`, { metadata: { service: req.service } });
      return { status: statusOf(req.service) };
    },
    async *watch(req, ctx: HandlerContext) {
      let last = statusOf(req.service);
      yield { status: last };
      // Wake on every change; end when the call ends (client gone, deadline, or shutdown).
      let wake: () => void = () => {};
      const off = state.onChange(() => wake());
      const aborted = new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
      try {
        while (!ctx.signal.aborted) {
          await Promise.race([new Promise<void>((resolve) => (wake = resolve)), aborted]);
          const now = statusOf(req.service);
          if (now !== last && !ctx.signal.aborted) yield { status: (last = now) };
        }
      } finally {
        off();
      }
    },
    list() {
      const statuses: Record<string, { status: Serving }> = {};
      for (const name of known) statuses[name] = { status: statusOf(name) };
      return { statuses };
    },
  } as ServiceImpl<typeof Health>;
}
