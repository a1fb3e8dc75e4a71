// A caller can make V8 abort its worker on purpose with every request ("x".repeat(2**28).split(""),
// blamed as its memory limit): each crash wrote ~14 warn lines, one per line of V8's report. Now a
// worker's report is one "worker stderr" line, each kind at most once a minute, and a death blamed
// on its culprit alone is logged at info.
import { expect, it } from "vitest";
import { ScriptService } from "../../gen/ts/scriptengine/v1/script_service_pb.js";
import { clientFor } from "../helpers/clients.ts";
import { startServer } from "../helpers/server.ts";

const CRASH = '"x".repeat(2**28).split("").length';

it("three deliberate worker crashes write one warn line in all, the first report kept", async () => {
  const s = await startServer({ toml: `[pool]\nworkers = 1\n` });
  try {
    const c = clientFor(ScriptService, "grpc-js", s);
    const before = s.logs().length;
    for (let i = 0; i < 3; i++) await expect(c.runScript({ source: CRASH })).rejects.toThrow(/memory limit/);
    expect((await c.runScript({ source: "6 * 7" })).result?.success).toBe(true);
    const lines = s.logs().slice(before).split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const stderr = lines.filter((l) => l.msg === "worker stderr");
    expect(stderr).toHaveLength(1);
    expect(stderr[0]).toMatchObject({ level: "warn", text: expect.stringMatching(/Fatal JavaScript invalid size error/) });
    expect(stderr[0]!.lines).toBeGreaterThan(5);
    expect(String(stderr[0]!.text)).not.toMatch(/0x[0-9a-f]+ +\[node\]/); // no native frames
    const replaced = lines.filter((l) => l.msg === "worker replaced");
    expect(replaced).toHaveLength(3);
    for (const r of replaced) expect(r).toMatchObject({ level: "info", failed: 0, blamed: [expect.objectContaining({ kind: "memory_limit" })] });
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
  } finally {
    await s.stop();
  }
}, 60_000);
