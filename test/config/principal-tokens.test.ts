// A principal's secret comes from exactly one place, and a bad one is reported under the key it
// came from: token_env used to win silently over a token given beside it, and a too-short
// variable's value was reported as `.token`, a key the file does not have.
import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config/load.ts";
import { exitAtStart } from "../helpers/config-exit.ts";

const tomlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "se-config-")), "config.toml");
  writeFileSync(file, text);
  return file;
};

const OK = "ops-token-0123456789";

describe("[[auth.principals]] tokens", () => {
  it("refuses token and token_env together, naming the key", async () => {
    const file = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken = "${OK}"\ntoken_env = "OPS_TOKEN"\n`);
    expect(() => loadConfig({ argv: ["--config", file], env: { OPS_TOKEN: "other-token-0123456789" } })).toThrowError(
      expect.objectContaining({ key: "auth.principals[0].token_env", message: expect.stringContaining("only one of token and token_env may be given") }),
    );
    const { code, stderr } = await exitAtStart(["--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain("auth.principals[0].token_env: only one of token and token_env may be given");
  });

  it("names token_env when its variable's value is too short", () => {
    const file = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken_env = "OPS_TOKEN"\n`);
    expect(() => loadConfig({ argv: ["--config", file], env: { OPS_TOKEN: "short" } })).toThrowError(
      expect.objectContaining({ key: "auth.principals[0].token_env", message: expect.stringContaining('"OPS_TOKEN"') }),
    );
    expect(loadConfig({ argv: ["--config", file], env: { OPS_TOKEN: OK } }).config.auth.principals).toHaveLength(1);
  });

  it("names token_env when its variable repeats another principal's token", () => {
    const file = tomlFile(`[[auth.principals]]\nname = "a"\ntoken = "${OK}"\n\n[[auth.principals]]\nname = "b"\ntoken_env = "B_TOKEN"\n`);
    expect(() => loadConfig({ argv: ["--config", file], env: { B_TOKEN: OK } })).toThrowError(expect.objectContaining({ key: "auth.principals[1].token_env" }));
  });

  it("still names token for a short token in the file", () => {
    const file = tomlFile(`[[auth.principals]]\nname = "ops"\ntoken = "short"\n`);
    expect(() => loadConfig({ argv: ["--config", file], env: {} })).toThrowError(expect.objectContaining({ key: "auth.principals[0].token" }));
  });
});
