import t from 'tap';
import { random } from '../../../../agents/manage/scheduler/strategies/random.js';
import { ctr, node, req, names } from '../fixtures.js';

t.test('order follows the injected random source; unfit nodes are dropped', async (t) => {
  const nodes = [node('h1'), node('h2'), node('h3'), node('h4', { containers: [ctr({ id: 'a', memory: 2048 })] })];
  const seq = [0.99, 0];
  let i = 0;
  const out = names(
    random.rank(req({ memory: 1 }), nodes, { overcommit: 0, random: () => seq[i++ % seq.length] as number }),
  );
  t.same([...out].sort(), ['h1', 'h2', 'h3']);
  t.same(out, ['h2', 'h1', 'h3'], 'Fisher-Yates: j=floor(0.99*3)=2 keeps h3 last, j=floor(0*2)=0 swaps h1 and h2');
  const first = new Set<string>();
  for (let k = 0; k < 50; k++)
    first.add(names(random.rank(req(), nodes, { overcommit: 0, random: Math.random }))[0] as string);
  t.ok(first.size > 1, 'more than one node comes first over 50 draws');
});
