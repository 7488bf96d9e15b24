import t from 'tap';
import { Stops } from '../../agents/manage/stops.js';

t.test('stops run last pushed first, each once', async (t) => {
  const ran: string[] = [];
  const stops = new Stops();
  stops.push(() => void ran.push('cluster'));
  stops.push(async () => void ran.push('replication'));
  stops.push(() => void ran.push('server'));
  await stops.run();
  t.same(ran, ['server', 'replication', 'cluster']);
  await stops.run();
  t.same(ran, ['server', 'replication', 'cluster'], 'a second run finds nothing');
});

t.test('a stop that throws does not keep the others from running; its error is thrown at the end', async (t) => {
  const ran: string[] = [];
  const stops = new Stops();
  stops.push(() => void ran.push('first'));
  stops.push(() => {
    throw new Error('server close failed');
  });
  stops.push(async () => {
    throw new Error('status close failed');
  });
  await t.rejects(stops.run(), { message: 'status close failed' }, 'the first error met');
  t.same(ran, ['first']);
});
