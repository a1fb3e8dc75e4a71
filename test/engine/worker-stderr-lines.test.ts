// A worker's stderr cut into lines for the server's JSON log (src/engine/worker-stderr.ts).
import { expect, it } from 'vitest';
import { MAX_STDERR_LINE_CHARS, stderrLines } from '../../src/engine/worker-stderr.ts';

it('splits a stream into lines: partial lines wait for their end, a character split between chunks stays whole, long lines are cut, blank ones dropped', () => {
  const lines: string[] = [];
  const s = stderrLines((l) => lines.push(l));
  const euro = Buffer.from('€');
  s.write(Buffer.from('first par'));
  s.write(Buffer.concat([Buffer.from('t\r\n\n  \nprice 5'), euro.subarray(0, 1)]));
  s.write(Buffer.concat([euro.subarray(1), Buffer.from('\n' + 'x'.repeat(MAX_STDERR_LINE_CHARS * 3))]));
  s.write(Buffer.from('y'.repeat(MAX_STDERR_LINE_CHARS) + '\nno newline at the end'));
  s.end();
  expect(lines).toEqual(['first part', 'price 5€', 'x'.repeat(MAX_STDERR_LINE_CHARS) + '…', 'no newline at the end']);
});
