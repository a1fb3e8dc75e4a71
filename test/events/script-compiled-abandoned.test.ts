// ScriptCompiled is every CompileScript's outcome once it reaches the compiler. A caller that gave
// up (a cancel, a deadline) stores nothing (its retry would add a version), and leaves the
// compilation: nobody else waiting, its worker drops it unless begun (it no longer counts against
// pool.max_queue). It is announced when that compilation ends for it, success false, saying why
// and what became of the source: "compiled, but not stored: <why>" (a compile another caller still
// waited for), or "<why>, and the source was not compiled: <what ended it>"; a validate-only one
// that compiled, its success (it stores nothing anyway). The compiles are held deterministically:
// the one worker spins in a script until the test cancels it, after the compiles were cancelled on
// the same connection (so the server sees their ends first); the worker is then replaced.
import { afterAll, beforeAll, expect, it } from "vitest";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { SecurityLevel } from "../../gen/ts/scriptengine/v1/common_pb.js";
import type { ScriptCompiled } from "../../gen/ts/scriptengine/v1/events_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { failure } from "../helpers/errors.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { settle, until, untilMetrics } from "../helpers/until.ts";

const server = serverForTests({ args: ["--set", "pool.workers=1"] });

const seen: ScriptCompiled[] = [];
const subscription = new AbortController();
beforeAll(async () => {
  const stream = clientFor(EventService, "grpc-js", server).subscribe({ eventTypes: ["script_compiled"] }, { signal: subscription.signal });
  let live = () => {};
  const started = new Promise<void>((r) => (live = r));
  void (async () => {
    for await (const m of stream) {
      if (m.message.case === "started") live();
      else if (m.message.case === "event" && m.message.value.event.case === "scriptCompiled") seen.push(m.message.value.event.value);
    }
  })().catch(() => undefined);
  await started;
});
afterAll(() => subscription.abort());

/**
 * Runs `abandon` (starting compiles, `count` of them) while the one worker spins: once the
 * compiles reached the engine, `giveUp` ends them on the caller's side, then the spinning script
 * is cancelled and the compiles run on its replacement.
 */
async function whileWorkerHeld(count: number, start: (scripts: ReturnType<typeof clientFor<typeof ScriptService>>) => Promise<unknown>[], giveUp: () => void) {
  const scripts = clientFor(ScriptService, "grpc-js", server);
  const spin = new AbortController();
  const spinning = scripts.runScript(
    { source: "for (;;) {}", context: { timeout: durationFromMs(120_000), securityContext: { securityLevel: SecurityLevel.DEVELOPMENT } } },
    { signal: spin.signal },
  );
  const held: Promise<unknown>[] = [spinning];
  try {
    const before = (await untilMetrics(scripts, "the spinning script holds the worker", (m) => m.busyIsolates === 1n)).totalCompilations;
    held.push(...start(scripts));
    await untilMetrics(scripts, `${count} compiles were sent to the worker`, (m) => m.totalCompilations === before + BigInt(count));
    giveUp();
    for (const call of held.slice(1)) expect(["Canceled", "DeadlineExceeded"]).toContain((await failure(call)).code);
  } finally {
    spin.abort();
    await settle(held);
  }
}

const eventOf = (scriptId: string) => until(`a ScriptCompiled for ${scriptId}`, () => seen.find((e) => e.scriptId === scriptId), { timeoutMs: 30_000 });

it("a compile whose caller cancelled it publishes ScriptCompiled success false, and stores nothing", { timeout: 90_000 }, async () => {
  const calls = new AbortController();
  await whileWorkerHeld(
    2,
    (scripts) => [
      scripts.compileScript({ source: "export default () => 'cancelled'", context: { scriptId: "cancelled" } }, { signal: calls.signal }),
      scripts.compileScript({ source: "export default () => 'checked'", context: { scriptId: "checked", validateOnly: true } }, { signal: calls.signal }),
    ],
    () => calls.abort(),
  );
  // Left by its callers, neither compiled: the worker holding them was replaced (to stop the spinning script).
  for (const id of ["cancelled", "checked"]) {
    const e = await eventOf(id);
    expect([e.success, e.error]).toEqual([false, expect.stringMatching(/^the call was cancelled, and the source was not compiled: worker w\d+ /)]);
  }
  const scripts = clientFor(ScriptService, "grpc-js", server);
  expect((await failure(scripts.getScript({ scriptId: "cancelled" }))).reason).toBe("SCRIPT_NOT_FOUND");
});

it("a compile whose deadline passed publishes ScriptCompiled success false, and stores nothing", { timeout: 90_000 }, async () => {
  await whileWorkerHeld(
    1,
    (scripts) => [scripts.compileScript({ source: "export default () => 'late'", context: { scriptId: "late" } }, { timeoutMs: 2000 })],
    () => undefined, // the call's deadline ends it
  );
  const e = await eventOf("late");
  // The server answers at its margin before the deadline.
  expect([e.success, e.error]).toEqual([false, expect.stringMatching(/^the call's deadline ran out, and the source was not compiled: /)]);
  const scripts = clientFor(ScriptService, "grpc-js", server);
  expect((await failure(scripts.getScript({ scriptId: "late" }))).reason).toBe("SCRIPT_NOT_FOUND");
});

it("a compile its caller left, that another caller still waited for, publishes 'compiled, but not stored'", { timeout: 90_000 }, async () => {
  const calls = new AbortController();
  let staying: Promise<unknown> | undefined;
  const source = "export default () => 'shared'";
  await whileWorkerHeld(
    1,
    (scripts) => {
      // The same source: the second caller shares the first one's compilation.
      staying = scripts.compileScript({ source, context: { scriptId: "shared-stays" } });
      return [scripts.compileScript({ source, context: { scriptId: "shared-left" } }, { signal: calls.signal })];
    },
    () => calls.abort(),
  );
  const scripts = clientFor(ScriptService, "grpc-js", server);
  expect(((await staying) as { script?: { version: number } }).script?.version).toBe(1);
  const e = await eventOf("shared-left");
  expect([e.success, e.error]).toEqual([false, "compiled, but not stored: the call was cancelled"]);
  expect((await failure(scripts.getScript({ scriptId: "shared-left" }))).reason).toBe("SCRIPT_NOT_FOUND");
});
