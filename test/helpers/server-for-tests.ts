// The server most test files share: started before the tests of the file (or of the describe
// block it is called in) and stopped after them, where it must exit 0 unless `checkExit` is false;
// `timeout` (ms) for a start slower than the default hook timeout.
import { afterAll, beforeAll, expect } from "vitest";
import { startServer, type StartOptions, type TestServer } from "./server.ts";

/** Its fields are set once the tests run. */
export function serverForTests(options: StartOptions = {}, { checkExit = true, timeout }: { checkExit?: boolean; timeout?: number } = {}): TestServer {
  const server = {} as TestServer;
  beforeAll(async () => {
    Object.assign(server, await startServer(options));
  }, timeout);
  afterAll(async () => {
    if (!server.stop) return; // it never started, and its beforeAll failed saying why
    const code = await server.stop();
    if (checkExit) expect(code).toBe(0);
  });
  return server;
}
