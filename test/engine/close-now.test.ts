// A close that cannot wait (the end of a drain's grace) stops every worker and fails what each held
// with ENGINE_STOPPED: none is left running behind a STOPPED engine.
import { expect, it } from 'vitest';
import { run, startEngine } from './helpers.ts';
import { settle, until } from '../helpers/until.ts';

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

it('close({ now }) stops every worker and what each one runs', async () => {
  const engine = await startEngine({ workers: 4 });
  const pids = engine.workers().map((w) => w.pid!);
  expect(pids).toHaveLength(4);
  const long = 'new Promise((r) => setTimeout(() => r("late"), 8000))';
  const runs = [1, 2, 3, 4].map(() => run(engine, long, { limits: { wallTimeoutMs: 15_000 } as never }));
  const settled = Promise.allSettled(runs); // heard from the start: they fail during the close
  try {
    await until('each worker holds an execution', () => engine.workers().every((w) => w.busy === 1));
    await engine.close({ now: true });
    const ended = await settled;
    expect(ended.map((e) => (e.status === 'rejected' ? (e.reason as { reason?: string }).reason : e.value.returnValue))).toEqual(['ENGINE_STOPPED', 'ENGINE_STOPPED', 'ENGINE_STOPPED', 'ENGINE_STOPPED']);
    await until('no worker process is left', () => pids.every((pid) => !alive(pid)), { seen: () => pids.filter(alive) });
  } finally {
    await engine.close({ now: true });
    await settle(runs);
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});
