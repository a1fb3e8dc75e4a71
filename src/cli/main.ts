// `scriptengine`: the operator's command line, built on the TypeScript SDK (clients/ts).
// Human tables by default, --json for machines, exit codes in ./exit.ts, errors in one line.
import { Command, CommanderError } from "commander";
import { CliError, EXIT, connectionFailed, cutBeforeAnswer, describeError } from "./exit.ts";
import { speaksHttp2First, speaksTls } from "./port-probe.ts";
import { lastExitCode } from "./action.ts";
import { handleStderrErrors, handleStdoutErrors, printable } from "./output.ts";
import { outputTailText } from "./output-tail.ts";
import { callWait, resolveConnection, type GlobalOptions } from "./connection.ts";
import { handleSignals, interruptionCode } from "./signals.ts";
import { scriptCommands } from "./commands/scripts.ts";
import { statusCommands } from "./commands/status.ts";
import { eventCommands } from "./commands/events.ts";
import { migrationCommands } from "./commands/migrations.ts";
import { serviceCommands } from "./commands/services.ts";

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok                          5  permission denied / not authenticated
  1  script, validation or       6  limit: timeout, memory, queue full
     migration failed (also      7  not implemented by this server
     migrate of a missing tool)  8  conflict: exists, precondition, aborted
  2  usage / invalid request     10 internal error (or Node.js older than 24)
  3  server unavailable          11 output could not be written (disk full)
  4  not found                   130 interrupted (Ctrl-C), 143 SIGTERM

Environment: SE_ADDRESS, SE_TOKEN, SE_TRANSPORT, SE_TLS=1|true|yes, SE_CA, SE_CERT, SE_KEY.`;

export function buildProgram(): Command {
  const program = new Command("scriptengine")
    .description("Run and operate ScriptEngine: scripts in V8 isolates behind gRPC/Connect")
    .version("0.1.0")
    // SE_ADDRESS and SE_TRANSPORT are read in connection.ts, where an empty variable is unset
    // but an empty flag is refused (commander's .env() would copy the empty variable into the flag).
    .option("-a, --address <host:port>", "server address (gRPC port for grpc-js, HTTP port otherwise) (env: SE_ADDRESS)")
    // Not commander's .env() either: an empty SE_TOKEN is unset, an empty --token a mistake (connection.ts).
    .option("-t, --token <token>", "bearer token / API key (env: SE_TOKEN)")
    .option("--transport <name>", "grpc-js | connect | grpc-web | grpc-http2 (env: SE_TRANSPORT)")
    .option("--tls", "use TLS (system roots unless --ca)")
    .option("--ca <file>", "PEM CA bundle to trust (implies --tls)")
    .option("--cert <file>", "PEM client certificate for mTLS, with --key (implies --tls)")
    .option("--key <file>", "PEM private key of --cert")
    .option("--json", "machine-readable output")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXIT_CODES_HELP)
    .exitOverride();
  program
    .command("serve")
    .description("start the server (flags as `node src/main.ts --help`: --config, --grpc-address, --set KEY=VALUE, ...)")
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .action(() => {
      // `serve` first is handled before parsing (see main()); reaching here means options came
      // before it. They are the client's (--json, --address, ...), which the server would ignore.
      throw new CliError("serve takes the server's flags only: put them after `serve` (scriptengine serve --config FILE ...)");
    });
  scriptCommands(program);
  statusCommands(program);
  eventCommands(program);
  migrationCommands(program);
  serviceCommands(program);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Globals of the program a subcommand belongs to. */
export const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === "serve") {
    const { runServer } = await import("../main.ts");
    return runServer(argv.slice(1));
  }
  handleStdoutErrors();
  handleStderrErrors();
  handleSignals();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return interruptionCode() ?? lastExitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.OK;
      // Help shown for a missing command or subcommand is an error (commander gives it exitCode 1).
      if (err.code === "commander.help") return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      return EXIT.USAGE; // commander already printed the message
    }
    let address = "";
    let http2OnlyPort = false;
    let tlsPort = false;
    let clientCert = false;
    try {
      const c = resolveConnection(program.opts() as GlobalOptions);
      address = c.address;
      clientCert = typeof c.tls === "object" && c.tls.cert !== undefined;
      // An HTTP transport aimed at the gRPC port may be cut off before the server's answer shows it.
      if (cutBeforeAnswer(err) && c.transport !== "grpc-js" && !c.tls) http2OnlyPort = await speaksHttp2First(address);
      // A TLS port reached in plaintext closes the connection like a server that is not there.
      if (!http2OnlyPort && !c.tls && connectionFailed(err)) tlsPort = await speaksTls(address);
    } catch {
      /* the error below says what is wrong */
    }
    const { exitCode: code, line } = describeError(err, address, { http2OnlyPort, tlsPort, clientCert, wait: callWait() });
    // The line often quotes the server (a compile error quotes the script): shown printable.
    process.stderr.write(`scriptengine: ${printable(line)}\n${outputTailText(err)}`);
    return interruptionCode() ?? code;
  }
}
