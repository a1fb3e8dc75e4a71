// A header is gRPC metadata: a name of lowercase letters, digits, "-", "_" and ".", a value of printable
// ASCII. What else a caller gave went out differently by transport: a token or value with a line break
// or a character past U+00FF threw the Headers class's raw TypeError (quoting the whole token), and a
// Latin-1 value ("café") was sent by the HTTP transports but failed grpc-js with UNKNOWN. Each is now
// InvalidArgumentError on every transport: the token and the client's headers when the client is
// built, a call's own headers before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "../../../test/helpers/server.ts";
import { createScriptEngineClient, InvalidArgumentError, ScriptEngineClient } from "../src/index.ts";
import { SERVER_ARGS, thrown, countingTransport, TRANSPORTS } from "./support.ts";

const BAD_VALUES: [string, string][] = [
  ["a line break", "a\nb"],
  ["a carriage return", "a\rb"],
  ["U+2028", "a\u2028b"],
  ["a Latin-1 letter", "café"],
  ["a tab", "a\tb"],
  ["NUL", "a\0b"],
];

describe("the token", () => {
  it.each([["a line break", "abc\ndef"], ["a space", "abc def"], ["a non-breaking space", "abc\u00a0def"], ["a Latin-1 letter", "abcé"]])(
    "with %s is refused when the client is built, never quoting it",
    (_what, token) => {
      for (const transport of TRANSPORTS) {
        const err = thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, token }));
        expect(err, transport).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).rawMessage).toMatch(/^token holds a character a header cannot carry at offset 3 \(U\+[0-9A-F]{4}\)/);
        expect((err as Error).message).not.toContain("abc");
      }
      expect(thrown(() => new ScriptEngineClient(countingTransport().transport, { token }))).toBeInstanceOf(InvalidArgumentError);
    },
  );
});

describe("the client's headers", () => {
  it.each(BAD_VALUES)("with a value holding %s are refused when the client is built", (_what, value) => {
    for (const transport of TRANSPORTS) {
      const err = thrown(() => createScriptEngineClient({ address: "127.0.0.1:1", transport, headers: { "x-note": value } }));
      expect(err, transport).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).rawMessage).toMatch(/^header "x-note" holds a character a header cannot carry at offset \d \(U\+[0-9A-F]{4}\)/);
    }
  });

  it.each(["x note", "x:note", "x!note", "", "ça"])("with the name %j are refused when the client is built", (name) => {
    const err = thrown(() => new ScriptEngineClient(countingTransport().transport, { headers: { [name]: "v" } }));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain(`header name ${JSON.stringify(name)}`);
  });
});

describe("a call's headers", () => {
  it.each(BAD_VALUES)("with a value holding %s fail InvalidArgumentError, nothing sent", async (_what, value) => {
    const { transport, sent } = countingTransport();
    const client = new ScriptEngineClient(transport);
    for (const headers of [{ "x-note": value }, [["x-note", value]] as [string, string][]]) {
      const unary = await client.scripts.getConfig({}, { headers }).then(() => undefined, (e: unknown) => e);
      expect(unary).toBeInstanceOf(InvalidArgumentError);
      expect((unary as InvalidArgumentError).rawMessage).toMatch(/^header "x-note" holds a character a header cannot carry/);
      const stream = await (async () => {
        for await (const _ of client.events.subscribe({}, { headers })) break;
      })().then(() => undefined, (e: unknown) => e);
      expect(stream).toBeInstanceOf(InvalidArgumentError);
    }
    expect(sent()).toBe(0);
  });
});

describe.each(TRANSPORTS)("headers over %s", (transport) => {
  let server: TestServer;
  let client: ScriptEngineClient;
  beforeAll(async () => {
    server = await startServer({ args: SERVER_ARGS });
    client = createScriptEngineClient({ address: transport === "grpc-js" ? server.grpc : server.http, transport, headers: { "x-client": "a b ~" } });
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it("a Latin-1 value is refused as on every other transport", async () => {
    const err = await client.scripts.getConfig({}, { headers: { "x-note": "café" } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).rawMessage).toMatch(/^header "x-note" holds a character a header cannot carry at offset 3 \(U\+00E9\)/);
  });

  it("printable ASCII, upper-case names and a binary (-bin, base64) header are sent", async () => {
    await client.scripts.getConfig({}, { headers: { "X-Note": " spaced out, and ~!@#$%^&*() ", "x-trace-bin": Buffer.from([0, 1, 254, 255]).toString("base64") } });
  });
});
