// Runs every scenario of test/scenarios/*.json through the TypeScript SDK, against a fresh real
// server per scenario, over the default grpc-js transport and over the Connect protocol.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fromJson, toJson, type DescService, type JsonValue } from "@bufbuild/protobuf";
import { ExecutionResultSchema } from "../../../gen/ts/scriptengine/v1/script_pb.js";
import { MigrationConfigSchema, MigrationResultSchema, RollbackConfigSchema, RollbackResultSchema } from "../../../gen/ts/scriptengine/v1/migration_pb.js";
import { ServiceEventSchema, type ServiceEvent } from "../../../gen/ts/scriptengine/v1/events_pb.js";
import { startServer, ROOT, type TestServer } from "../../../test/helpers/server.ts";
import {
  createScriptEngineClient, ScriptEngineClient, ScriptEngineError, ScriptFailedError, TimeoutError, ResourceExhaustedError, NotFoundError,
  PermissionDeniedError, UnauthenticatedError, UnavailableError, InvalidArgumentError, FailedPreconditionError,
  AlreadyExistsError, AbortedError, UnimplementedError, CancelledError, InternalError,
} from "../src/index.ts";
import { mismatch, SERVER_ARGS } from "./support.ts";

interface Step {
  call?: string;
  request?: JsonValue;
  run?: { source: string; args?: Record<string, JsonValue> };
  migrate?: { tool_name: string; config?: JsonValue };
  rollback?: { tool_name: string; config?: JsonValue };
  subscribe?: { event_types?: string[]; after_sequence?: string };
  as?: string;
  next_events?: string;
  count?: number;
  token?: string;
  expect: { response?: JsonValue; error?: Record<string, JsonValue>; script_error?: { kind: string } };
}
interface Scenario {
  name: string;
  description?: string;
  server?: { toml?: string };
  steps: Step[];
}

const DIR = join(ROOT, "test/scenarios");

const SCENARIOS: Scenario[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), "utf8")) as Scenario);

const KINDS: Record<string, new (...a: never[]) => ScriptEngineError> = {
  Timeout: TimeoutError, ResourceExhausted: ResourceExhaustedError, NotFound: NotFoundError, PermissionDenied: PermissionDeniedError,
  Unauthenticated: UnauthenticatedError, Unavailable: UnavailableError, InvalidArgument: InvalidArgumentError,
  FailedPrecondition: FailedPreconditionError, AlreadyExists: AlreadyExistsError, Aborted: AbortedError,
  Unimplemented: UnimplementedError, Cancelled: CancelledError, Internal: InternalError,
};

const SERVICES: Record<string, keyof Pick<ScriptEngineClient, "scripts" | "migrations" | "events" | "registry" | "tools">> = {
  ScriptService: "scripts", MigrationService: "migrations", EventService: "events", RegistryService: "registry", ToolService: "tools",
};

type Outcome = { ok: true; json: JsonValue } | { ok: false; error: unknown };

function checkError(step: Step, err: unknown) {
  const want = step.expect.error!;
  const Kind = KINDS[want.kind as string];
  expect(Kind, `unknown error kind ${want.kind}`).toBeDefined();
  expect(err, `expected ${want.kind}Error, got ${String(err)}`).toBeInstanceOf(Kind);
  const e = err as ScriptEngineError;
  if (want.code !== undefined) expect(e.codeName).toBe(want.code);
  if (want.reason !== undefined) expect(e.reason).toBe(want.reason);
  if (want.domain !== undefined) expect(e.domain).toBe(want.domain);
  if (want.metadata !== undefined) expect(mismatch(want.metadata, { ...e.errorMetadata })).toBeUndefined();
  if (want.retry_delay !== undefined) expect(e.retryDelayMs !== undefined).toBe(want.retry_delay);
}

async function runScenario(scenario: Scenario, server: TestServer, transport: "grpc-js" | "connect") {
  const clients = new Map<string, ScriptEngineClient>();
  const clientFor = (token: string | undefined) => {
    let c = clients.get(token ?? "");
    if (!c) {
      c = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport, token, retry: false });
      clients.set(token ?? "", c);
    }
    return c;
  };
  const subs = new Map<string, AsyncIterator<ServiceEvent>>();
  const abort = new AbortController();
  try {
    for (const [i, step] of scenario.steps.entries()) {
      const label = `step ${i + 1} (${step.call ?? (["run", "migrate", "rollback", "subscribe", "next_events"] as const).find((k) => step[k] !== undefined)})`;
      const client = clientFor(step.token);
      let outcome: Outcome;
      try {
        if (step.call) {
          const [svc, name] = step.call.split(".");
          const service = (client[SERVICES[svc!]!] as unknown as { [k: string]: (req: unknown) => Promise<unknown> });
          const desc = serviceDesc(svc!);
          const method = desc.methods.find((m) => m.name === name)!;
          expect(method, `${step.call} is not an RPC`).toBeDefined();
          const res = await service[method.localName]!(fromJson(method.input, (step.request ?? {}) as JsonValue));
          outcome = { ok: true, json: toJson(method.output, res as never) };
        } else if (step.run) {
          const value = await client.run(step.run.source, step.run.args);
          outcome = { ok: true, json: value === undefined ? {} : { value } };
        } else if (step.migrate) {
          const config = step.migrate.config === undefined ? undefined : fromJson(MigrationConfigSchema, step.migrate.config);
          outcome = { ok: true, json: toJson(MigrationResultSchema, await client.migrate(step.migrate.tool_name, config)) };
        } else if (step.rollback) {
          const config = step.rollback.config === undefined ? undefined : fromJson(RollbackConfigSchema, step.rollback.config);
          outcome = { ok: true, json: toJson(RollbackResultSchema, await client.rollback(step.rollback.tool_name, config)) };
        } else if (step.subscribe) {
          const it = client.subscribe({
            eventTypes: step.subscribe.event_types,
            afterSequence: step.subscribe.after_sequence === undefined ? undefined : BigInt(step.subscribe.after_sequence),
            signal: abort.signal,
          })[Symbol.asyncIterator]();
          subs.set(step.as!, it);
          outcome = { ok: true, json: {} };
        } else {
          const it = subs.get(step.next_events!)!;
          const events: JsonValue[] = [];
          for (let n = 0; n < (step.count ?? 1); n++) {
            const next = await it.next();
            if (next.done) break;
            events.push(toJson(ServiceEventSchema, next.value));
          }
          outcome = { ok: true, json: { events } };
        }
      } catch (error) {
        outcome = { ok: false, error };
      }
      if (step.expect.error) {
        expect(outcome.ok, `${label}: expected an error, got ${JSON.stringify(outcome.ok && outcome.json)}`).toBe(false);
        checkError(step, (outcome as { error: unknown }).error);
      } else if (step.expect.script_error) {
        expect(outcome.ok, `${label}: expected a script error`).toBe(false);
        const err = (outcome as { error: unknown }).error;
        expect(err).toBeInstanceOf(ScriptFailedError);
        expect((err as ScriptFailedError).kindName).toBe(step.expect.script_error.kind);
        toJson(ExecutionResultSchema, (err as ScriptFailedError).result);
      } else {
        if (!outcome.ok) throw Object.assign(new Error(`${label}: ${String(outcome.error)}`), { cause: outcome.error });
        expect(mismatch(step.expect.response ?? {}, outcome.json), label).toBeUndefined();
      }
    }
  } finally {
    abort.abort();
    for (const c of clients.values()) c.close();
  }
}

import { ScriptService } from "../../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { EventService } from "../../../gen/ts/scriptengine/v1/event_service_pb.js";
import { RegistryService } from "../../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ToolService } from "../../../gen/ts/scriptengine/v1/tool_service_pb.js";
function serviceDesc(name: string): DescService {
  const d = { ScriptService, MigrationService, EventService, RegistryService, ToolService }[name];
  if (!d) throw new Error(`unknown service ${name}`);
  return d;
}

describe.each(["grpc-js", "connect"] as const)("scenarios over %s", (transport) => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });
  for (const scenario of SCENARIOS) {
    it(scenario.name, async () => {
      server = await startServer({ toml: scenario.server?.toml, args: SERVER_ARGS });
      await runScenario(scenario, server, transport);
    });
  }
});
