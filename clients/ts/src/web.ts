// Browser and edge entry point: no Node modules. Bring a transport from @connectrpc/connect-web:
//
//   import { createConnectTransport } from "@connectrpc/connect-web";
//   const client = new ScriptEngineClient(createConnectTransport({ baseUrl: "https://engine.example" }), { token });
export * from "./client.ts";
export * from "./errors.ts";
export * from "./types.ts";
