// Every method of every service in the contract is served for real on the server: called with an
// empty request by a principal holding no permission, each answers (an error of its own, such as
// a validation or permission error, is an answer) and none is UNIMPLEMENTED.
import { expect, it } from "vitest";
import { create, type DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { MigrationService } from "../../gen/ts/scriptengine/v1/migration_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ToolService } from "../../gen/ts/scriptengine/v1/tool_service_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { transportFor } from "../helpers/clients.ts";

const NOBODY = "nobody-token-0123456789abcdef";
const server = serverForTests({ toml: `[[auth.principals]]\nname = "nobody"\ntoken = "${NOBODY}"\nmax_security_level = "safe"\n`, args: ["--set", "pool.workers=1"] });

const SERVICES: DescService[] = [ScriptService, MigrationService, EventService, RegistryService, ToolService];

it.each(SERVICES.flatMap((s) => s.methods.map((m) => [`${s.name}/${m.name}`, s, m] as const)))("%s is implemented", async (_name, service, method) => {
  const client = createClient(service, transportFor("grpc-js", server)) as unknown as Record<string, (req: unknown, opts: unknown) => unknown>;
  const opts = { headers: { authorization: `Bearer ${NOBODY}` }, timeoutMs: 3000 };
  const request = create(method.input);
  let code: Code | undefined;
  try {
    if (method.methodKind === "server_streaming") {
      // The first message (or error) is its answer; then the stream is let go.
      const ctl = new AbortController();
      for await (const _ of client[method.localName](request, { ...opts, signal: ctl.signal }) as AsyncIterable<unknown>) break;
      ctl.abort();
    } else {
      await client[method.localName](request, opts);
    }
  } catch (err) {
    code = ConnectError.from(err).code;
  }
  expect(code === undefined ? "OK" : Code[code]).not.toBe(Code[Code.Unimplemented]);
});
