// services list [--type].
import { toJson } from "@bufbuild/protobuf";
import type { Command } from "commander";
import { RegistrationSchema, type Registration } from "../../../clients/ts/src/index.ts";
import { action, optionsOf, withClient } from "../action.ts";
import { fmtTime, json, out, table } from "../output.ts";

export function serviceCommands(program: Command): void {
  const services = program.command("services").description("the service registry");
  services
    .command("list")
    .description("registered services (all pages)")
    .option("--type <service-type>", "only this service type")
    .action(
      action(async (_o: unknown, cmd: Command) => {
        const o = optionsOf<{ type?: string }>(cmd);
        const all: Registration[] = [];
        await withClient(o, async (c) => {
          let pageToken = "";
          do {
            const res = await c.registry.discoverServices({ serviceType: o.type ?? "", pageSize: 500, pageToken });
            all.push(...res.services);
            pageToken = res.nextPageToken;
          } while (pageToken);
        });
        if (o.json) {
          out(json(all.map((r) => toJson(RegistrationSchema, r))));
          return;
        }
        if (all.length === 0) {
          out("no services registered");
          return;
        }
        out(
          table(
            ["SERVICE", "TYPE", "VERSION", "ENDPOINT", "LAST HEARTBEAT", "EXPIRES"],
            all.map((r) => [r.service?.serviceId ?? "", r.service?.serviceType ?? "", r.service?.version ?? "", r.service?.endpoint ?? "", fmtTime(r.lastHeartbeatAt), fmtTime(r.lease?.expiresAt)]),
          ),
        );
      }),
    );
}
