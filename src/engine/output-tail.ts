/**
 * The end of a run's stdout or stderr, for the error of a run stopped by a limit: what it printed
 * last is what tells why it timed out. The worker keeps the head of the output up to the output
 * cap and drops the rest, so the text past the cap is followed here, bounded, as it arrives.
 */

/** UTF-8 bytes of a tail: two of them ride in the error's trailers, far below grpcio's 8 KiB. */
export const OUTPUT_TAIL_BYTES = 1024;

export interface OutputTail {
  /** The last OUTPUT_TAIL_BYTES (at most) of the stream, starting on a character boundary. */
  text: string;
  /** What the script wrote to the stream in all, in UTF-8 bytes (dropped bytes included). */
  bytes: number;
  /** `text` is not all of it. */
  cut: boolean;
}

/** The last `maxBytes` (at most) of `text` as UTF-8, never starting inside a character. */
export function lastBytes(text: string, maxBytes: number): string {
  // A character is at least one byte: the last maxBytes characters hold all the tail can keep.
  let s = text.length > maxBytes ? text.slice(-maxBytes) : text;
  if (/^[\uDC00-\uDFFF]/.test(s)) s = s.slice(1); // half a surrogate pair
  let over = Buffer.byteLength(s) - maxBytes;
  let start = 0;
  while (over > 0) {
    const c = s.codePointAt(start)!;
    const len = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    over -= len;
    start += c >= 0x10000 ? 2 : 1;
  }
  return s.slice(start);
}

/** The recent text a stream dropped past its cap, enough to give its last OUTPUT_TAIL_BYTES. */
export class DroppedTail {
  private parts: string[] = [];
  private chars = 0;

  add(text: string): void {
    if (text.length > OUTPUT_TAIL_BYTES) text = text.slice(-OUTPUT_TAIL_BYTES - 1);
    this.parts.push(text);
    this.chars += text.length;
    // Keep the fewest parts still holding OUTPUT_TAIL_BYTES characters (+1 for a surrogate pair's half).
    while (this.parts.length > 1 && this.chars - this.parts[0]!.length > OUTPUT_TAIL_BYTES) this.chars -= this.parts.shift()!.length;
  }

  text(): string {
    return this.parts.join('');
  }
}

/**
 * The tail of a stream: `kept` is the text kept (the head), `dropped` what followed past the cap
 * (absent when nothing was dropped), `bytes` the stream's whole size.
 */
export function outputTail(kept: string, dropped: DroppedTail | undefined, bytes: number): OutputTail {
  const text = lastBytes(dropped ? kept.slice(-OUTPUT_TAIL_BYTES) + dropped.text() : kept, OUTPUT_TAIL_BYTES);
  return { text, bytes, cut: Buffer.byteLength(text) < bytes };
}
