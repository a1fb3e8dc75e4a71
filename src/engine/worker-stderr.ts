/**
 * What a worker writes to stderr (V8's fatal-error and GC reports, the worker's last words) is not
 * JSON, and a chunk may end mid-line: copied raw into the server's stderr it broke the log's one
 * JSON object per line (a server line could be appended to half a worker line). Here the stream is
 * cut into lines, each handed on by itself, clipped; a line still waiting for its end is held, bounded.
 */
import { StringDecoder } from 'node:string_decoder';

/** The most of one line that is kept (a longer one is cut, marked with "…"). */
export const MAX_STDERR_LINE_CHARS = 2048;

export interface LineSplitter {
  write(chunk: Buffer): void;
  /** The stream ended: a last line without its newline is handed on too. */
  end(): void;
}

export function stderrLines(onLine: (line: string) => void): LineSplitter {
  const decoder = new StringDecoder('utf8'); // a character split between two chunks stays whole
  let partial = '';
  let cut = false;
  const add = (text: string) => {
    if (cut) return;
    const room = MAX_STDERR_LINE_CHARS - partial.length;
    if (text.length > room) { partial += text.slice(0, room); cut = true; } else partial += text;
  };
  const flush = () => {
    const line = partial.replace(/\r$/, '');
    if (line.trim()) onLine(cut ? `${line}…` : line);
    partial = '';
    cut = false;
  };
  const take = (text: string) => {
    const pieces = text.split('\n');
    for (let i = 0; i < pieces.length - 1; i++) { add(pieces[i]!); flush(); }
    add(pieces.at(-1)!);
  };
  return {
    write: (chunk) => take(decoder.write(chunk)),
    end: () => { take(decoder.end()); flush(); },
  };
}

/**
 * A worker V8 aborts writes a dozen lines or more (a banner, one line per native stack frame), and a
 * caller can make that happen on every request (`"x".repeat(2**28).split("")`): one log line per
 * worker line flooded the log. A worker's lines are gathered instead, and told as one summary when
 * it exits, or SUMMARY_DELAY_MS after the first line of a burst while it lives.
 */
export interface StderrSummary {
  worker: string;
  /** The burst's first and last meaningful lines (native stack frames and "#" rulers left out), joined, bounded. */
  text: string;
  /** How many lines the worker wrote, all counted. */
  lines: number;
  /** The first meaningful line's first words, letters only: what tells one kind of report from another. */
  kind: string;
}

export interface StderrSummaries {
  /** A line the worker wrote (pass as the engine's onWorkerStderr). */
  line(worker: string, line: string): void;
  /** The worker exited: its lines are told now (before the exit itself is logged). */
  flush(worker: string): void;
}

/** Lines kept from the start of a burst (what went wrong first) and from its end (the last words). */
export const SUMMARY_HEAD_LINES = 4;
export const SUMMARY_TAIL_LINES = 4;
/** The most of one line a summary keeps; so the whole is bounded too, with its last words. */
const SUMMARY_LINE_CHARS = 512;
export const MAX_SUMMARY_CHARS = (SUMMARY_HEAD_LINES + SUMMARY_TAIL_LINES + 1) * (SUMMARY_LINE_CHARS + 2);
export const SUMMARY_DELAY_MS = 1000;

/** V8's native stack frames (" 3: 0x13edb78  [node]") and its "#" rulers say nothing anyone can act on. */
const NOISE = /^\s*(?:\d+: 0x[0-9a-f]+\b.*|#\s*|----- Native stack trace -----)$/i;

export function stderrSummaries(tell: (summary: StderrSummary) => void, delayMs = SUMMARY_DELAY_MS): StderrSummaries {
  const bursts = new Map<string, { head: string[]; tail: string[]; skipped: number; lines: number; timer: NodeJS.Timeout }>();
  const flush = (worker: string) => {
    const b = bursts.get(worker);
    if (!b) return;
    bursts.delete(worker);
    clearTimeout(b.timer);
    const kept = b.skipped > 0 ? [...b.head, `… ${b.skipped} more …`, ...b.tail] : [...b.head, ...b.tail];
    const kind = (b.head[0] ?? '').slice(0, 200).toLowerCase().split(/[^a-z]+/).filter(Boolean).slice(0, 4).join(' ');
    tell({ worker, text: kept.join('\n'), lines: b.lines, kind });
  };
  return {
    line(worker, line) {
      let b = bursts.get(worker);
      if (!b) {
        b = { head: [], tail: [], skipped: 0, lines: 0, timer: setTimeout(() => flush(worker), delayMs).unref() };
        bursts.set(worker, b);
      }
      b.lines++;
      if (NOISE.test(line)) return;
      const kept = line.length > SUMMARY_LINE_CHARS ? `${line.slice(0, SUMMARY_LINE_CHARS)}…` : line;
      if (b.head.length < SUMMARY_HEAD_LINES) { b.head.push(kept); return; }
      b.tail.push(kept);
      if (b.tail.length > SUMMARY_TAIL_LINES) { b.tail.shift(); b.skipped++; }
    },
    flush,
  };
}
