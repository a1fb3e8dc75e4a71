// Lines as V8 counts them, so that a line the engine names (a compile error, an error's frame) and
// a line a check names agree: \n, \r, \r\n (one line end), U+2028 and U+2029 each end a line. A
// file saved with old Mac line ends (\r only) or holding a U+2028 is as many lines to V8 as that.
const LINE_END = /\r\n|[\n\r\u2028\u2029]/g;

/** How many lines `text` is (one more than its line ends). */
export function lineCount(text: string): number {
  return (text.match(LINE_END)?.length ?? 0) + 1;
}

/** The line (from 1) that the character at `offset` is on. */
export function lineAt(text: string, offset: number): number {
  return lineCount(text.slice(0, offset));
}
