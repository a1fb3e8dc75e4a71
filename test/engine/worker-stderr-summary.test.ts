// A worker's stderr told as one bounded summary per burst (src/engine/worker-stderr.ts): V8's abort
// report was a log line per native stack frame.
import { expect, it } from 'vitest';
import { MAX_SUMMARY_CHARS, stderrSummaries, type StderrSummary } from '../../src/engine/worker-stderr.ts';

// What V8 writes when a builtin's result is past what it can size ("x".repeat(2**28).split("")).
const INVALID_SIZE = [
  '#', '# Fatal error in , line 0', '# Fatal JavaScript invalid size error 268435456 (see crbug.com/1201626)', '#', '#', '#',
  '#FailureMessage Object: 0x7ffcd018bc40', '----- Native stack trace -----',
  ' 1: 0x9dde61  [node]', ' 2: 0x27b2103 V8_Fatal(char const*, ...) [node]', ' 3: 0xeb772c  [node]', ' 4: 0x13edb78  [node]', ' 5: 0x7effbe6369b6 ',
];

it('a dying worker\'s report is one summary when it exits: stack frames and rulers left out, every line counted', () => {
  const told: StderrSummary[] = [];
  const s = stderrSummaries((x) => told.push(x));
  for (const line of INVALID_SIZE) s.line('w1', line);
  expect(told).toEqual([]);
  s.flush('w1');
  s.flush('w1'); // nothing more
  expect(told).toEqual([{
    worker: 'w1', lines: INVALID_SIZE.length, kind: 'fatal error in line',
    text: '# Fatal error in , line 0\n# Fatal JavaScript invalid size error 268435456 (see crbug.com/1201626)\n#FailureMessage Object: 0x7ffcd018bc40',
  }]);
});

it('a long burst keeps its first lines and its last words, bounded; workers are told apart', () => {
  const told: StderrSummary[] = [];
  const s = stderrSummaries((x) => told.push(x));
  s.line('w1', '<--- Last few GCs --->');
  for (let i = 0; i < 10_000; i++) s.line('w1', `[1:0x5] ${i} ms: Mark-Compact ${'x'.repeat(2000)}`);
  s.line('w2', 'the parent-watch thread stopped (ERR_WORKER_INIT_FAILED)');
  s.line('w1', 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
  s.flush('w1');
  s.flush('w2');
  const [w1, w2] = told;
  expect(w1!.lines).toBe(10_002);
  expect(w1!.kind).toBe('last few gcs');
  expect(w1!.text.length).toBeLessThanOrEqual(MAX_SUMMARY_CHARS);
  expect(w1!.text.split('\n')[0]).toBe('<--- Last few GCs --->');
  expect(w1!.text).toMatch(/\n… 9994 more …\n/);
  expect(w1!.text.split('\n').at(-1)).toBe('FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory');
  expect(w2).toEqual({ worker: 'w2', lines: 1, kind: 'the parent watch thread', text: 'the parent-watch thread stopped (ERR_WORKER_INIT_FAILED)' });
});

it('a living worker\'s lines are told a while after the first one, without waiting for it to exit', async () => {
  const told: StderrSummary[] = [];
  const s = stderrSummaries((x) => told.push(x), 50);
  s.line('w3', 'a last word');
  s.line('w3', 'and another');
  await new Promise((r) => setTimeout(r, 150));
  expect(told).toEqual([{ worker: 'w3', lines: 2, kind: 'a last word', text: 'a last word\nand another' }]);
  s.flush('w3');
  expect(told).toHaveLength(1);
});
