/** Build placement from buildargs, as the docker CLI encodes `--build-arg constraint:node==h1`. Pure. */
import t from 'tap';
import { buildPlacement } from '../../../agents/manage/scheduler/buildargs.js';
import { formatExpr } from '../../../agents/manage/scheduler/expr.js';

t.test('constraint and affinity build args become expressions and leave the engine args', async (t) => {
  // --build-arg constraint:node==h1 -> {"constraint:node":"=h1"}; constraint:zone!=x -> {"constraint:zone!":"x"}
  const p = buildPlacement(
    JSON.stringify({
      'constraint:node': '=h1',
      'constraint:zone!': 'x',
      'affinity:image': '=redis',
      GREETING: 'hi',
      EMPTY: null,
    }),
  );
  t.same(p.constraints.map(formatExpr), ['node==h1', 'zone!=x']);
  t.same(p.affinities.map(formatExpr), ['image==redis']);
  t.same(JSON.parse(p.buildargs as string), { GREETING: 'hi', EMPTY: null });
  t.same(
    buildPlacement(JSON.stringify({ 'constraint:disk': '=~ssd' })).constraints.map((e) => e.soft),
    [true],
  );
});

t.test('no buildargs: nothing to place, nothing to rewrite; bad ones are named', async (t) => {
  t.same(buildPlacement(null), { constraints: [], affinities: [], buildargs: undefined });
  t.same(buildPlacement(''), { constraints: [], affinities: [], buildargs: undefined });
  t.throws(() => buildPlacement('{nope'), /buildargs: expected a JSON object/);
  t.throws(() => buildPlacement('[1]'), /buildargs: expected a JSON object/);
  t.throws(
    () => buildPlacement(JSON.stringify({ 'constraint:zone': null })),
    /buildargs constraint:zone: invalid expression/,
  );
});
