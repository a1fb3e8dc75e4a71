// Emit holds event ids and the required ids (script_id, service_id, ...) to the registry's rule for
// a service_id: no whitespace, control or format characters, which would reach every subscriber's
// terminal (an escape sequence in the CLI's events tail) or pass for another id in a listing.
import type { MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { EventService, type EmitRequestSchema } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { bearer, principalsToml, tokenOf } from "../helpers/principals.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";

const as = bearer(tokenOf("alice"));
const compiled = (scriptId: string, eventId = ""): MessageInitShape<typeof EmitRequestSchema> => ({
  event: { eventId, event: { case: "scriptCompiled", value: { scriptId, success: true } } },
});

describe("Emit's ids", () => {
  const s = serverForTests({ toml: principalsToml({ name: "alice", permissions: ["events:emit"] }) });

  it.each([
    ["a NUL and an escape sequence in event_id", compiled("s", "a\0\x1b[2J"), "event.event_id", "U+0000 at index 1"],
    ["a terminal title sequence in script_id", compiled("a\x1b]0;x\x07"), "event.script_compiled.script_id", "U+001B at index 1"],
    ["a zero-width space in script_id", compiled("a\u200bb"), "event.script_compiled.script_id", "U+200B at index 1"],
    ["a space in event_id", compiled("s", "a b"), "event.event_id", "U+0020 at index 1"],
    [
      "a newline in service_id",
      { event: { event: { case: "serviceUnregistered", value: { serviceId: "svc\nfake line" } } } } as MessageInitShape<typeof EmitRequestSchema>,
      "event.service_unregistered.service_id",
      "U+000A at index 3",
    ],
  ])("refuses %s, naming the field and the code point", async (_, req, field, where) => {
    const f = await failure(clientFor(EventService, "grpc-js", s).emit(req, as));
    expect([f.code, f.reason, f.metadata.field]).toEqual(["InvalidArgument", "VALIDATION_ERROR", field]);
    expect(f.err.rawMessage).toContain(where);
  });

  it("accepts ids of printable characters, Unicode letters included", async () => {
    const r = await clientFor(EventService, "grpc-js", s).emit(compiled("café-1.2:x_y", "évènement-42"), as);
    expect(r.eventId).toBe("évènement-42");
  });
});
