// Script arguments follow JSON semantics, the rule of all three SDKs: what JSON.stringify writes
// (Date as its ISO string, toJSON, undefined properties left out, undefined items null), bytes as
// base64; what JSON cannot hold fails before anything is sent, InvalidArgumentError naming the argument.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, InvalidArgumentError, MAX_ARGUMENT_DEPTH, ScriptEngineClient, ScriptEngineError, type Arguments } from "../src/index.ts";
import { SERVER_ARGS, countingTransport } from "./support.ts";

const ECHO = "export default (a) => JSON.stringify(a)";

describe.each(["grpc-js", "connect-json"] as const)("arguments as JSON over %s", (transport) => {
  let server: TestServer;
  let client: ScriptEngineClient;
  beforeAll(async () => {
    server = await startServer({ args: SERVER_ARGS });
    client = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport });
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it("sends what JSON.stringify writes: Date as ISO, toJSON, undefined left out or null", async () => {
    const args: Arguments = {
      when: new Date("2024-01-02T03:04:05Z"),
      nested: { d: new Date(0), gone: undefined, kept: 1 },
      list: [1, undefined, 3],
      custom: { toJSON: () => "custom" },
      negzero: -0,
      skipped: undefined,
    };
    const sparse = [1, , 3]; // a hole reads as undefined: null
    const got = JSON.parse((await client.run(ECHO, { ...args, sparse })) as string);
    expect(got).toEqual(JSON.parse(JSON.stringify({ ...args, sparse })));
    expect(got).toEqual({
      when: "2024-01-02T03:04:05.000Z",
      nested: { d: "1970-01-01T00:00:00.000Z", kept: 1 },
      list: [1, null, 3],
      custom: "custom",
      negzero: 0,
      sparse: [1, null, 3],
    });
    expect("skipped" in got).toBe(false);
  });

  it("sends byte arrays (Uint8Array, Buffer) as base64 strings, as Go's encoding/json writes []byte", async () => {
    const got = await client.run("export default (a) => [a.u, a.b, a.n.inner]", { u: new Uint8Array([104, 105]), b: Buffer.from("hi\xff", "latin1"), n: { inner: new Uint8Array() } });
    expect(got).toEqual(["aGk=", "aGn/", ""]);
  });
});

describe("arguments JSON cannot hold", () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = { back: circular };
  const nest = (levels: number, wrap: (v: unknown) => unknown) => { let v: unknown = "leaf"; for (let i = 0; i < levels; i++) v = wrap(v); return v; };
  const cases: [string, unknown, RegExp][] = [
    ["33 nested arrays (the server takes 32)", nest(33, (v) => [v]), /^argument "v": v(\[0\]){32}: it nests deeper than 32 levels/],
    ["100,000 nested objects", nest(100_000, (v) => ({ k: v })), /^argument "v": v(\.k){32}: it nests deeper than 32 levels/],
    ["BigInt", 10n, /^argument "v": v is a BigInt \(10n\)/],
    ["nested BigInt", { n: [1, 2n] }, /^argument "v": v\.n\[1\] is a BigInt/],
    ["function", () => 1, /^argument "v": v is a function/],
    ["function property", { cb() {} }, /^argument "v": v\.cb is a function/],
    ["symbol in an array", [Symbol("s")], /^argument "v": v\[0\] is a symbol/],
    ["circular structure", circular, /^argument "v": v\.self\.back refers back to an object that contains it/],
    ["NaN", NaN, /^argument "v": v is NaN, which JSON cannot hold/],
    ["Infinity", { x: -Infinity }, /^argument "v": v\.x is -Infinity/],
    ["a toJSON that throws", { toJSON() { throw new RangeError("no JSON for me"); } }, /^argument "v": no JSON for me$/],
  ];
  it.each(cases)("%s fails before anything is sent, InvalidArgumentError naming the argument", async (_name, v, message) => {
    const { transport, sent } = countingTransport();
    const client = new ScriptEngineClient(transport);
    for (const call of [() => client.run(ECHO, { ok: 1, v } as Arguments), () => client.runScript(ECHO, { v } as Arguments), () => client.execute("s", { v } as Arguments)]) {
      const err = await call().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err).toBeInstanceOf(ScriptEngineError);
      const e = err as InvalidArgumentError;
      expect(e.codeName).toBe("INVALID_ARGUMENT");
      expect(e.rawMessage).toMatch(message);
      expect(e.fieldViolations).toEqual([{ field: "context.arguments.v", description: expect.any(String) }]);
      expect(e.reason).toBe(""); // the client's own refusal, not the server's
    }
    expect(sent()).toBe(0);
  });

  it("keeps the error a toJSON threw as the cause", async () => {
    const boom = new RangeError("no JSON for me");
    const client = new ScriptEngineClient(countingTransport().transport);
    const err = await client.run(ECHO, { v: { toJSON() { throw boom; } } }).then(() => undefined, (e: unknown) => e);
    expect((err as Error).cause).toBe(boom);
  });

  it("32 levels of nesting (MAX_ARGUMENT_DEPTH, exported) are sent", async () => {
    expect(MAX_ARGUMENT_DEPTH).toBe(32);
    const { transport, sent } = countingTransport();
    let v: unknown = 1;
    for (let i = 0; i < MAX_ARGUMENT_DEPTH; i++) v = i % 2 ? [v] : { k: v };
    await new ScriptEngineClient(transport).run(ECHO, { v } as Arguments).catch(() => {});
    expect(sent()).toBe(1);
  });

  it("a shared (not circular) object is sent wherever it appears", async () => {
    const { transport, sent } = countingTransport();
    const shared = { x: 1 };
    const client = new ScriptEngineClient(transport);
    await client.run(ECHO, { v: [shared, { again: shared }] }).catch(() => {});
    expect(sent()).toBe(1); // converted, then handed to the transport
  });
});
