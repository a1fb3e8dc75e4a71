// Human output (tables, durations, sizes) and machine output (--json: one JSON document, or one
// JSON object per line for streams).
import Table from "cli-table3";
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { EXIT } from "./exit.ts";

// Text from the server (other principals' event details, script output, registrations) reaches a
// terminal: its control characters could set the window title, clear the screen or print a forged
// line. Human output shows them escaped instead: C0 (tab kept), DEL, C1, the line separators and
// the bidi controls that reorder what a line shows. --json is left as it is (JSON escapes C0).
const BUT_NEWLINE = String.raw`\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069`;
const CONTROLS = new RegExp(`[\\n${BUT_NEWLINE}]`, "g");
const CONTROLS_BUT_NEWLINE = new RegExp(`[${BUT_NEWLINE}]`, "g");
const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\x1b": "\\e" };

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`);
}

/** `text` for one line of a terminal: every control character (newlines too) shown escaped. */
export function printable(text: string): string {
  return text.replace(CONTROLS, escapeControl);
}

/** As printable, but newlines stay: for multi-line text (a script's stdout and stderr). */
export function printableLines(text: string): string {
  return text.replace(CONTROLS_BUT_NEWLINE, escapeControl);
}

/** A table for humans; cells are shown printable (one line each). */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head,
    style: { head: process.stdout.isTTY ? ["cyan"] : [], border: [], "padding-left": 0, "padding-right": 0 },
    chars: { top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "", left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  " },
  });
  t.push(...rows.map((r) => r.map((c) => printable(String(c)))));
  return t.toString().split("\n").map((l) => l.trimEnd()).join("\n");
}

/** Two columns, no header: key → value (shown printable). */
export function pairs(rows: [string, string | number][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${printable(String(v))}`).join("\n");
}

const readerGone = new AbortController();
/**
 * Aborted once stdout takes no more: its reader has gone (`scriptengine events | head -1`) or a
 * write failed (a full disk). Live views stop on it.
 */
export const stdoutGone: AbortSignal = readerGone.signal;

let writeFailure: Error | undefined;
/** The write error that stopped output (ENOSPC, EIO), if any; a reader that left (EPIPE) is not one. */
export const stdoutFailure = (): Error | undefined => writeFailure;

/**
 * For the commands (not `serve`): an error on stdout stops output instead of being an unhandled
 * 'error' and a stack. EPIPE is the reader's choice and quiet; any other failure is kept, so the
 * command does not report success for output that was lost (see exitAfterOutput).
 */
let handling = false;
export function handleStdoutErrors(): void {
  if (handling) return;
  handling = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    // Only the first error counts: later writes fail because the stream is already closed.
    if (!readerGone.signal.aborted && e.code !== "EPIPE") writeFailure = e;
    readerGone.abort();
  });
}

let stderrGone = false;
let handlingStderr = false;
/**
 * For the commands: stderr that takes no more (`2>&1 | head -1` once head has left, a full disk)
 * was an unhandled 'error' that replaced a succeeded command's exit code with 1. It only carries
 * messages, and once they cannot be shown the exit code is all that is left to tell: it stays the
 * command's, and later messages are dropped. A live view stops when stdout goes, not stderr.
 */
export function handleStderrErrors(): void {
  if (handlingStderr) return;
  handlingStderr = true;
  process.stderr.on("error", () => {
    stderrGone = true;
  });
}

/**
 * Exits with `code` once stdout is flushed (live views and grpc-js channels may leave handles
 * open). Output that could not be written is one line on stderr and EXIT.OUTPUT instead.
 */
export function exitAfterOutput(code: number): void {
  const leave = (e?: Error | null) => {
    const failure = writeFailure ?? (e && (e as NodeJS.ErrnoException).code !== "EPIPE" ? e : undefined);
    if (failure) process.stderr.write(`scriptengine: cannot write output: ${printable(failure.message)}\n`);
    process.exit(failure ? EXIT.OUTPUT : code);
  };
  // Nothing more can be flushed once the stream has failed or its reader has gone.
  if (stdoutGone.aborted) leave();
  else process.stdout.write("", leave);
}

export const out = (text: string) => {
  if (!stdoutGone.aborted) process.stdout.write(text.endsWith("\n") ? text : text + "\n");
};
const toStderr = (text: string) => {
  if (!stderrGone) process.stderr.write(text.endsWith("\n") ? text : text + "\n");
};
/**
 * One line on stderr for humans (--json goes through out), shown printable: it often quotes the
 * server (a migration error, a rollback message, a script's error), and a newline there would
 * print a second line that reads as the CLI's own ("error: …", "ok in …").
 */
export const err = (text: string) => toStderr(printable(text));
/** A script's own stderr, which has lines of its own: shown printableLines (newlines kept). */
export const errLines = (text: string) => toStderr(printableLines(text));

/** JSON that knows bigint (proto uint64 outside toJson). */
export const json = (value: unknown, pretty = true) =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), pretty ? 2 : undefined);

export function ms(d: Duration | undefined): number {
  return d ? Number(d.seconds) * 1000 + d.nanos / 1e6 : 0;
}

export function fmtDuration(d: Duration | undefined | number): string {
  const v = typeof d === "number" ? d : ms(d);
  if (v < 1) return `${(v * 1000).toFixed(0)} µs`;
  if (v < 1000) return `${v.toFixed(v < 10 ? 2 : 1)} ms`;
  if (v < 120_000) return `${(v / 1000).toFixed(2)} s`;
  const s = Math.round(v / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}

export { count } from "../count-noun.ts";

export function fmtBytes(n: bigint | number): string {
  const v = Number(n);
  if (v < 1024) return `${v} B`;
  if (v < 1024 ** 2) return `${(v / 1024).toFixed(1)} KiB`;
  if (v < 1024 ** 3) return `${(v / 1024 ** 2).toFixed(1)} MiB`;
  return `${(v / 1024 ** 3).toFixed(2)} GiB`;
}

export function fmtTime(t: Timestamp | undefined): string {
  if (!t) return "-";
  return new Date(Number(t.seconds) * 1000 + Math.round(t.nanos / 1e6)).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** ENUM_NAME from a protobuf-es enum object and value ("COMPLETED"); "-" for unspecified. */
export function enumName(e: Record<number, string>, v: number): string {
  return v === 0 ? "-" : (e[v] ?? String(v));
}
