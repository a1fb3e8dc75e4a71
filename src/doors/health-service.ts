// The standard grpc.health.v1.Health service, following the engine's HealthState: SERVING
// while it accepts work (HEALTHY or DEGRADED), NOT_SERVING otherwise. "" names the server.
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/grpc/health/v1/health_pb.js";
import type { HealthState } from "../health/state.ts";

export function healthService(state: HealthState, serviceNames: string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  const statusOf = (service: string) =>
    !known.has(service) ? Serving.SERVICE_UNKNOWN : state.serving ? Serving.SERVING : Serving.NOT_SERVING;
  return {
    check(req) {
      if (!known.has(req.service)) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
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
