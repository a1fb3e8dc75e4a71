// refuseQueued() (a Stop's or a shutdown's drain) holds until the engine is closed and started: a
// start() on the still-running engine meanwhile must not lift it and take queued work again.
import { afterAll, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/index.ts';
import { EngineError } from '../../src/engine/errors.ts';
import { run, startEngine } from './helpers.ts';

let engine: Engine | undefined;
afterAll(async () => {
  await engine?.close({ now: true });
});

it('start() on a running engine does not lift the refusal; close then start does', async () => {
  engine = await startEngine({ workers: 1 });
  engine.refuseQueued();
  await engine.start();
  const refused = await run(engine, 'export default () => 1').catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(EngineError);
  expect([(refused as EngineError).reason, (refused as EngineError).message, (refused as EngineError).retryAfterMs])
    .toEqual(['ENGINE_STOPPED', 'the engine is stopping; the execution did not start', 1000]);
  await engine.close();
  await engine.start();
  expect((await run(engine, 'export default () => 1')).returnValue).toBe(1);
});
