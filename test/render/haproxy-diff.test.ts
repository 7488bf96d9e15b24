/**
 * The runtime-or-reload decision on rendered HAProxy configs (pure): server-only changes inside existing
 * backends become runtime operations (adds, then address changes, then removals); anything else is a shape
 * change; comments and blank lines do not count. Uses the shipped template's own output.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { buildContext } from '../../agents/render/context.js';
import { compileTemplate } from '../../agents/render/template.js';
import { parseHaproxyConfig, planRuntime, splitAddr } from '../../agents/render/haproxy-diff.js';
import { declaredCommands } from '../../agents/render/parse.js';
import { HAPROXY_TPL } from './fixtures.js';

const TPL = readFileSync(HAPROXY_TPL, 'utf8');
const env = { SHOAL_HAPROXY_SOCKET: '/tmp/x/admin.sock' };
function render(entries: Record<string, string>): string {
  const ctx = buildContext(
    Object.entries(entries).map(([key, value]) => ({ key, value })),
    { domain: 'local' },
  );
  return compileTemplate(TPL, 'h')(ctx.context, ctx.entries, env).text;
}
const plan = (a: Record<string, string>, b: Record<string, string>) =>
  planRuntime(parseHaproxyConfig(render(a)), parseHaproxyConfig(render(b)));

const base = {
  'web-80/h1:w1:80': '127.0.0.1:1001',
  'web-80/h2:w2:80': '127.0.0.1:1002',
  'api-81/h1:a1:81': '[::1]:1003',
};

t.test('the shipped template declares runtime updates and its admin socket', async (t) => {
  t.equal(declaredCommands(TPL).runtime, 'haproxy');
  const p = parseHaproxyConfig(render(base));
  t.equal(p.adminSocket, '/tmp/x/admin.sock');
  t.same([...p.backends.keys()], ['shoal_no_service', 'be_api-81', 'be_web-80']);
  t.same(p.backends.get('be_web-80')?.get('h1_w1_80'), {
    addr: '127.0.0.1:1001',
    args: 'check inter 2s fall 3 rise 2',
  });
});

t.test('server-only changes are runtime operations, adds first and removals last', async (t) => {
  t.same(plan(base, { ...base }), { kind: 'same' });
  const next: Record<string, string> = {
    ...base,
    'web-80/h3:w3:80': '127.0.0.1:1004',
    'api-81/h1:a1:81': '[::1]:2003',
  };
  delete next['web-80/h1:w1:80'];
  t.same(plan(base, next), {
    kind: 'servers',
    ops: [
      {
        op: 'add',
        backend: 'be_web-80',
        server: 'h3_w3_80',
        addr: '127.0.0.1:1004',
        args: 'check inter 2s fall 3 rise 2',
      },
      { op: 'addr', backend: 'be_api-81', server: 'h1_a1_81', addr: '[::1]:2003' },
      { op: 'del', backend: 'be_web-80', server: 'h1_w1_80' },
    ],
  });
});

t.test('a new or removed service, or any other line, is a shape change', async (t) => {
  t.equal(plan(base, { ...base, 'new-80/h1:n1:80': '127.0.0.1:1005' }).kind, 'shape', 'new service');
  const gone: Record<string, string> = { ...base };
  delete gone['api-81/h1:a1:81'];
  t.equal(plan(base, gone).kind, 'shape', 'last server of a service removed');
  const a = parseHaproxyConfig(render(base));
  const b = parseHaproxyConfig(render(base).replace('timeout client 30s', 'timeout client 31s'));
  t.equal(planRuntime(a, b).kind, 'shape', 'a setting');
  const c = parseHaproxyConfig(render(base).replace('127.0.0.1:1001 check', '127.0.0.1:1001 check weight 5'));
  t.equal(planRuntime(a, c).kind, 'shape', 'a server setting');
  const d = parseHaproxyConfig(render(base).replace('# Rendered', '# Re-rendered') + '\n\n# trailing\n');
  t.same(planRuntime(a, d), { kind: 'same' }, 'comments and blank lines');
});

t.test('addresses split for `set server addr`', async (t) => {
  t.same(splitAddr('10.0.0.1:80'), { ip: '10.0.0.1', port: '80' });
  t.same(splitAddr('[fd00::1]:8080'), { ip: 'fd00::1', port: '8080' });
  t.equal(splitAddr('nope'), undefined);
});
