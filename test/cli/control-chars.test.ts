// Text the server hands the CLI comes from other principals (a script's compile error, an emitted
// event's detail, a script's output): its terminal controls must not reach the operator's
// terminal, where they could set the window title, clear the screen or print a forged line.
// Human output shows them escaped; --json stays exactly what the server sent.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { EventService } from "../../gen/ts/scriptengine/v1/event_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { serverForTests } from "../helpers/server-for-tests.ts";
import { pairs, table } from "../../src/cli/output.ts";
import { cli, live } from "./helpers.ts";

// Terminal controls no human line may carry: C0 but tab and newline, DEL, C1, bidi overrides.
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
const FORGED = "   999  2026-01-01 00:00:00Z  security_violation      escape_attempt by root: forged";

const server = serverForTests({ toml: "[discovery]\nenabled = false\n" }, { checkExit: false });

it("events shows a compile error's and an emitted detail's control characters escaped, one line each", async () => {
  const tail = live(["-a", server.grpc, "events"]);
  await tail.waitFor((_out, err) => err.includes("subscribed"));
  const file = join(server.dataDir, "evil.js");
  writeFileSync(file, `const r = /\x1b]0;owned-title\x07\x1b[2J\x1b[31mRED\x1b[0m]\x1bE${FORGED}(/;`);
  const compiled = await cli(["-a", server.grpc, "compile", file, "--id", "evil"]);
  expect(compiled.code).toBe(1);
  // The CLI's own one-line error quotes the same message: escaped too.
  expect(compiled.stderr).not.toMatch(RAW_CONTROL);
  expect(compiled.stderr).toContain("\\e]0;owned-title\\x07");
  await clientFor(EventService, "grpc-js", server).emit({
    event: { event: { case: "securityViolation", value: { kind: "escape_attempt", principal: "x", detail: `a\r\n${FORGED}\u202e\x9b2J` } } },
  });
  await tail.waitFor((out) => out.includes("security_violation") && out.includes("script_compiled"));
  await tail.interrupt();
  const out = tail.stdout();
  expect(out).not.toMatch(RAW_CONTROL);
  const lines = out.trimEnd().split("\n");
  expect(lines).toHaveLength(2); // the forged line stays inside the real ones
  expect(lines[0]).toContain("script_compiled");
  expect(lines[0]).toContain("\\e]0;owned-title\\x07\\e[2J");
  expect(lines[1]).toContain(`x: a\\r\\n${FORGED}\\u202e\\x9b2J`);
});

it("--json events keep the text as sent; run output is escaped for humans only", async () => {
  const tail = live(["-a", server.grpc, "--json", "events", "--after", "0", "--type", "security_violation"]);
  await tail.waitFor((out) => out.includes("securityViolation"));
  await tail.interrupt();
  expect(tail.stdout()).toContain(String.raw`a\r\n   999`);
  expect(tail.stdout()).toContain("\u202e"); // JSON leaves it; a --json reader gets the exact text

  const file = join(server.dataDir, "noisy.js");
  writeFileSync(file, `console.log("\\x1b]0;title\\x07hi"); "\\x1b[2Jdone"`);
  const human = await cli(["-a", server.grpc, "run", file]);
  expect(human.code).toBe(0);
  expect(human.stdout).not.toMatch(RAW_CONTROL);
  expect(human.stdout).toContain("\\e]0;title\\x07hi");
  expect(human.stdout).toContain("\\e[2Jdone");
  const machine = await cli(["-a", server.grpc, "--json", "run", file]);
  expect(JSON.parse(machine.stdout).stdout).toContain("\x1b]0;title\x07hi");
});

it("tables and key/value views show server text one line per cell, controls escaped", () => {
  const t = table(["SERVICE", "VERSION"], [["a\x1b[2J", "1\n   b  2"]]);
  const lines = t.split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^a\\e\[2J +1\\n   b  2$/);
  expect(pairs([["message", "ok\x07\u2066"]])).toBe("message  ok\\x07\\u2066");
});
