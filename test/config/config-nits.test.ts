// Small configuration mistakes said as what they are: a certificate name listed twice in one
// principal (it said "given to two principals"), and an empty --config (it meant no file at all,
// dropping every file setting, principals included, without a word). An empty tools.legacy_root
// (read as the working directory) or telemetry.service_name was accepted. A level was read in any
// case and the other named values (log_level, on_excess, on_lag) only in lower case.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";

const tomlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "se-nits-")), "config.toml");
  writeFileSync(file, text);
  return file;
};

it("a certificate name listed twice in one principal is said so, not as two principals", () => {
  const file = tomlFile(`[server]\ntls_cert_file = "/x.crt"\ntls_key_file = "/x.key"\ntls_client_ca_file = "/ca.crt"\n[[auth.principals]]\nname = "reports"\nclient_cert_names = ["x.internal", "x.internal"]\n`);
  expect(() => loadConfig({ argv: ["--config", file], env: {} })).toThrow('config: auth.principals[0].client_cert_names: the client certificate name "x.internal" is listed twice');
});

it("an empty --config is refused, even with SCRIPTENGINE_CONFIG set", () => {
  const file = tomlFile(`[pool]\nworkers = 1\n`);
  expect(() => loadConfig({ argv: ["--config", ""], env: { SCRIPTENGINE_CONFIG: file } })).toThrow("config: --config: empty path");
  expect(loadConfig({ argv: [], env: { SCRIPTENGINE_CONFIG: file } }).config.pool.workers).toBe(1);
});

it.each([
  ["tools.legacy_root", "[tools]\nlegacy_root = \"\"\n", "SCRIPTENGINE_TOOLS_LEGACY_ROOT"],
  ["telemetry.service_name", "[telemetry]\nservice_name = \"\"\n", "SCRIPTENGINE_TELEMETRY_SERVICE_NAME"],
])("an empty %s is refused, from the file or the environment", (key, toml, envName) => {
  expect(() => loadConfig({ argv: ["--config", tomlFile(toml)], env: {} })).toThrow(`config: ${key}: must not be empty`);
  expect(() => loadConfig({ argv: [], env: { [envName]: "" } })).toThrow(`config: ${key}: must not be empty`);
});

it("named values are read in any case, as levels are, and answered in their own", () => {
  const { config } = loadConfig({ argv: ["--set", "server.log_level=WARN", "--set", "events.on_lag=Disconnect", "--set", "auth.on_excess=CLAMP", "--set", "security_level=Production"], env: {} });
  expect([config.server.logLevel, config.events.onLag, config.auth.onExcess, config.securityLevel]).toEqual(["warn", "disconnect", "clamp", "production"]);
  expect(() => loadConfig({ argv: ["--set", "server.log_level=loud"], env: {} })).toThrow("config: server.log_level: ");
});
