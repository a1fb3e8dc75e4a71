// Structured log lines: one JSON object each, whose own keys (time, level, msg) fields cannot replace.
import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { guardProcess } from "../../src/main.ts";

describe("structured logs", () => {
  it("writes one JSON line per entry at or above the configured level, with base and call fields", () => {
    const lines: string[] = [];
    const log = createLogger("info", { service: "s" }, (l) => lines.push(l)).child({ component: "c" });
    log.debug("hidden");
    log.warn("shown", { n: 1 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith("\n")).toBe(true);
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: "warn", msg: "shown", service: "s", component: "c", n: 1 });
    expect(Object.keys(entry).slice(0, 3)).toEqual(["time", "level", "msg"]);
  });

  it("a field named time, level or msg does not replace the line's own", () => {
    const lines: string[] = [];
    createLogger("info", {}, (l) => lines.push(l)).info("tool migrated", { level: "safe", msg: "x", time: "then" });
    const entry = JSON.parse(lines[0]!);
    expect([entry.level, entry.msg]).toEqual(["info", "tool migrated"]);
    expect(entry.time).not.toBe("then");
  });
});

describe("process guard", () => {
  it("logs an unhandled rejection as an error and keeps the process; logs an uncaught exception before Node ends it", () => {
    const lines: string[] = [];
    const unguard = guardProcess(createLogger("info", {}, (l) => lines.push(l)));
    try {
      process.emit("unhandledRejection", new Error("lost on some path"), Promise.resolve());
      (process.emit as (event: string, ...args: unknown[]) => boolean)("uncaughtExceptionMonitor", new Error("boom"), "uncaughtException");
    } finally {
      unguard();
    }
    const entries = lines.map((l) => JSON.parse(l));
    expect(entries.map((e) => [e.level, e.msg])).toEqual([["error", "unhandled rejection"], ["error", "uncaught exception"]]);
    expect(entries[0].error).toMatch(/lost on some path/);
    expect(entries[1].origin).toBe("uncaughtException");
  });
});
