#!/usr/bin/env node
// The `scriptengine` command (package.json "bin"). Node 24 runs the TypeScript sources directly.
import { main } from "./main.ts";
import { stdoutGone } from "./output.ts";

// Errors are one line each; a runtime deprecation notice (grpc-js passes an IP as the TLS server
// name) would break that promise and tells an operator nothing they can act on.
process.noDeprecation = true;

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Live views and grpc-js channels may leave handles open: leave once output is flushed
    // (at once when stdout's reader has gone: nothing more can be flushed).
    if (stdoutGone.aborted) process.exit(code);
    process.stdout.write("", () => process.exit(code));
  },
  (err) => {
    process.stderr.write(`scriptengine: fatal: ${err?.stack ?? err}\n`);
    process.exit(10);
  },
);
