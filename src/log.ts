// Structured logs: one JSON object per line on stderr, so that stdout stays free for the
// machine-readable "listening" line tests and supervisors read.
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(fields: Fields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * A log line to a stderr that is gone (a closed terminal gives EIO, a full disk ENOSPC) is lost, and
 * only the line: a server draining after its terminal closed must not die writing "shutdown requested".
 * Errors reported later, on the stream, are main.ts's quietStdio.
 */
const toStderr = (line: string) => {
  try {
    process.stderr.write(line);
  } catch {
    /* the line is lost, not the server */
  }
};

/**
 * What JSON.stringify leaves raw in a line though a reader's tools may act on it: line separators
 * other than "\n" (U+2028, U+2029, NEL U+0085: Python's splitlines and some shippers cut a line
 * there), the other C1 controls and DEL (a terminal may obey them: U+009B starts an escape
 * sequence), and bidirectional controls (a viewer shows the text around them reordered). A
 * caller's text (a Stop reason, a rollback reason, a tool name it asked for) may hold them: they
 * are written as \u escapes, which a JSON reader reads back as the same characters.
 */
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const escaped = (c: string) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");

export function createLogger(level: LogLevel, base: Fields = {}, write: (line: string) => void = toStderr): Logger {
  const emit = (lvl: Exclude<LogLevel, "silent">, msg: string, fields?: Fields) => {
    if (RANK[lvl] < RANK[level]) return;
    const time = new Date().toISOString();
    // A field named like one of the line's own keys never replaces it (a "level" field once hid a line's level).
    const entry: Fields = { time, level: lvl, msg, ...base, ...fields };
    Object.assign(entry, { time, level: lvl, msg });
    write(JSON.stringify(entry).replace(UNSAFE, escaped) + "\n");
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  };
}
