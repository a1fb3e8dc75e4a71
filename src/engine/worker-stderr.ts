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
