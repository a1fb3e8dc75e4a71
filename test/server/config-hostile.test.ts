// Odd or hostile configuration files stop the real server with exit 2 and one bounded line naming
// the key, never a stack trace, exit 1 or a value that slips through.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/server.ts";

const tomlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "se-config-hostile-")), "config.toml");
  writeFileSync(file, text);
  return file;
};

/** Starts `node src/main.ts` with these arguments; a server still running after 15 s (it took the config) is killed: code null. */
async function exitOf(args: string[], env: Record<string, string> = {}, withDataDir = true): Promise<{ code: number | null; stderr: string; firstLine: string }> {
  const base = { ...process.env } as Record<string, string>;
  for (const k of Object.keys(base)) if (k.startsWith("SCRIPTENGINE_")) delete base[k];
  const dataDir = withDataDir ? ["--data-dir", mkdtempSync(join(tmpdir(), "se-config-hostile-data-"))] : [];
  const proc = spawn(process.execPath, [join(ROOT, "src/main.ts"), "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0", ...dataDir, ...args], {
    cwd: ROOT,
    env: { ...base, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
  const code = await new Promise<number | null>((res) => proc.once("exit", (c) => res(c)));
  clearTimeout(timer);
  return { code, stderr, firstLine: stderr.split("\n")[0] };
}

describe("deeply nested table headers", () => {
  it.each([1_000, 3_000, 4_000, 100_000])("a header %i levels deep exits 2 naming its first unknown level", async (depth) => {
    const { code, firstLine, stderr } = await exitOf(["--config", tomlFile(`[${Array(depth).fill("a").join(".")}]\nx = 1\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toBe("scriptengine: config: a: unknown key");
    expect(stderr).not.toMatch(/RangeError|    at /);
  });

  it("a header under a known table goes no deeper than the schema", async () => {
    const { code, firstLine } = await exitOf(["--config", tomlFile(`[server.${Array(4_000).fill("a").join(".")}]\nx = 1\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toBe("scriptengine: config: server.a: unknown key");
  });

  it("a kilobytes-long key is clipped in the line", async () => {
    const { code, firstLine } = await exitOf(["--config", tomlFile(`${"k".repeat(5_000)} = 1\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toBe(`scriptengine: config: ${"k".repeat(200)}… (5000 characters): unknown key`);
  });

  it("a key clipped inside a character drops all of it, not half (which printed as U+FFFD)", async () => {
    const { code, firstLine } = await exitOf(["--config", tomlFile(`"${"k".repeat(199)}\u{1F600}${"k".repeat(10)}" = 1\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toBe(`scriptengine: config: ${"k".repeat(199)}… (211 characters): unknown key`);
  });
});

describe("quoted dotted keys", () => {
  it("a quoted dotted key giving a key a second time exits 2 naming it, instead of the last one silently winning", async () => {
    const toml = `"resource_limits.max_network_requests" = 2\n[resource_limits]\nmax_network_requests = 1\n`;
    const { code, firstLine } = await exitOf(["--config", tomlFile(toml)]);
    expect(code).toBe(2);
    expect(firstLine).toMatch(/^scriptengine: config: resource_limits\.max_network_requests: a key may not contain "\." inside quotes/);
  });

  it("a quoted dotted key under a table exits 2 too", async () => {
    const { code, firstLine } = await exitOf(["--config", tomlFile(`[pool]\n"a.b" = 1\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toMatch(/^scriptengine: config: pool\.a\.b: a key may not contain "\." inside quotes/);
  });
});

describe("an empty server.data_dir", () => {
  it.each([
    ["--set", { args: ["--set", "server.data_dir="], env: {}, withDataDir: true }],
    ["the environment", { args: [], env: { SCRIPTENGINE_SERVER_DATA_DIR: "" }, withDataDir: false }],
  ])("given by %s exits 2 naming the key, not 1 from mkdir('')", async (_how, { args, env, withDataDir }) => {
    const { code, firstLine } = await exitOf(args, env, withDataDir);
    expect(code).toBe(2);
    expect(firstLine).toBe("scriptengine: config: server.data_dir: must not be empty");
  });
});

describe("control characters in configured text", () => {
  // Any control character but the newline that ends each line: a terminal would act on it.
  const raw = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

  it("a quoted key holding an escape sequence is written escaped in the exit-2 line", async () => {
    const { code, firstLine, stderr } = await exitOf(["--config", tomlFile(`"\\u001b[31mred" = 1\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toBe("scriptengine: config: \\u001b[31mred: unknown key");
    expect(stderr).not.toMatch(raw);
  });

  it("a principal's name with a NUL given twice is quoted, escaped", async () => {
    const principal = (token: string) => `[[auth.principals]]\nname = "ops\\u0000"\ntoken = "${token}"\n`;
    const { code, firstLine, stderr } = await exitOf(["--config", tomlFile(principal("a-token-0123456789") + principal("b-token-0123456789"))]);
    expect(code).toBe(2);
    expect(firstLine).toBe('scriptengine: config: auth.principals[1].name: the name "ops\\u0000" is given to two principals');
    expect(stderr).not.toMatch(raw);
  });

  it("TLS file paths with control characters are escaped in the exit-2 line", async () => {
    const { code, stderr } = await exitOf(["--config", tomlFile(`[server]\ntls_cert_file = "/nonexistent/a\\u0007b.pem"\ntls_key_file = "/nonexistent/k\\u001bc.pem"\n`)]);
    expect(code).toBe(2);
    expect(stderr).toContain("scriptengine: config: server.tls_cert_file: cannot read /nonexistent/a\\u0007b.pem");
    expect(stderr).not.toMatch(raw);
  });

  it("a data dir path with a control character is escaped in the exit-1 line", async () => {
    const notDir = join(mkdtempSync(join(tmpdir(), "se-config-hostile-")), "file\u0007");
    writeFileSync(notDir, "");
    const { code, stderr } = await exitOf(["--data-dir", notDir], {}, false);
    expect(code).toBe(1);
    expect(stderr).toContain("file\\u0007");
    expect(stderr).not.toMatch(raw);
  });
});

describe("inf and nan", () => {
  it.each([
    ["health_check.degraded_queue_ratio", "inf", "a number", "Infinity"],
    ["health_check.degraded_queue_ratio", "nan", "a number", "NaN"],
    ["health_check.degraded_queue_ratio", "-inf", "a number", "-Infinity"],
    ["enable_caching", "nan", "true or false", "NaN"],
  ])("%s = %s is refused showing the value, not null", async (key, value, what, shown) => {
    const [table, name] = key.includes(".") ? key.split(".") : ["", key];
    const { code, firstLine } = await exitOf(["--config", tomlFile(`${table ? `[${table}]\n` : ""}${name} = ${value}\n`)]);
    expect(code).toBe(2);
    expect(firstLine).toBe(`scriptengine: config: ${key}: expected ${what}, got ${shown}`);
  });
});
