#!/usr/bin/env node
// The `scriptengine` command (package.json "bin"). Node 24 runs the TypeScript sources directly;
// an older node first on PATH would fail on the first .ts import with a stack trace, so this
// file imports them only after checking (and must itself parse on old versions).
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(`scriptengine: needs Node.js 24 or later, but ${process.execPath} is v${process.versions.node}\n`);
  process.exit(10);
}

// Errors are one line each; a runtime deprecation notice (grpc-js passes an IP as the TLS server
// name) would break that promise and tells an operator nothing they can act on.
process.noDeprecation = true;

const { main } = await import("./main.ts");
const { exitAfterOutput } = await import("./output.ts");

// Node exits 0 when its event loop empties with the command still pending (a stream that ended
// without telling its reader once made `migrate empty/` print nothing and "succeed"): a command
// that did not finish is an internal error, never a success.
let settled = false;
process.on("beforeExit", () => {
  if (settled) return;
  process.stderr.write("scriptengine: internal error: the command stopped without finishing\n");
  process.exit(10);
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    exitAfterOutput(code);
  },
  (err) => {
    settled = true;
    process.stderr.write(`scriptengine: fatal: ${err?.stack ?? err}\n`);
    process.exit(10);
  },
);
