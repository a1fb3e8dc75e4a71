// server.max_streams_per_caller: the long-lived streams one principal may hold open at once,
// whichever service they are on (Subscribe, WatchServices, MigrateDirectory), so one caller
// cannot take every subscription slot or pile up watches; another principal is unaffected, and
// a stream that ends gives its slot back.
import { expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { RegistryService } from "../../gen/ts/scriptengine/v1/registry_service_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { clientFor } from "../helpers/clients.ts";

const A = "caller-a-token-0123456789abcdef";
const B = "caller-b-token-0123456789abcdef";
const server = serverForTests({
  toml: `[server]\nmax_streams_per_caller = 3\n\n[[auth.principals]]\nname = "a"\ntoken = "${A}"\n\n[[auth.principals]]\nname = "b"\ntoken = "${B}"\n`,
  args: ["--set", "pool.workers=1"],
});

const as = (token: string, signal: AbortSignal) => ({ headers: { authorization: `Bearer ${token}` }, signal });

/** Opens a stream and resolves once its first message arrived (or with the error it ended with). */
function open(kind: "subscribe" | "watch", token: string, signal: AbortSignal, protocol: "grpc-js" | "connect" = "grpc-js"): Promise<ConnectError | "open"> {
  const stream =
    kind === "subscribe"
      ? clientFor(EventService, protocol, server).subscribe({}, as(token, signal))
      : clientFor(RegistryService, protocol, server).watchServices({}, as(token, signal));
  return new Promise((resolve) => {
    void (async () => {
      try {
        for await (const _ of stream) resolve("open");
      } catch (e) {
        resolve(ConnectError.from(e));
      }
    })();
  });
}

it("a principal holds at most max_streams_per_caller streams across services; others are unaffected", async () => {
  const held = new AbortController();
  // Three across two services and both doors fill a's quota.
  expect(await open("subscribe", A, held.signal)).toBe("open");
  expect(await open("watch", A, held.signal, "connect")).toBe("open");
  const third = new AbortController();
  expect(await open("subscribe", A, third.signal)).toBe("open");
  const refused = await open("watch", A, held.signal);
  expect(refused).toBeInstanceOf(ConnectError);
  const err = refused as ConnectError;
  expect(Code[err.code]).toBe("ResourceExhausted");
  expect(err.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ resource: "streams", limit: "3", principal: "a" });
  // b has its own quota.
  expect(await open("subscribe", B, held.signal)).toBe("open");
  // A stream that ends gives its slot back.
  third.abort();
  let again: ConnectError | "open" = "open";
  for (let i = 0; i < 20; i++) {
    again = await open("subscribe", A, held.signal);
    if (again === "open") break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(again).toBe("open");
  held.abort();
});
