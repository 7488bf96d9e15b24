import t from 'tap';
import { expandCommand, runCommand } from '../../agents/render/command.js';
import { shellQuote } from '../../agents/common/shell.js';
import { declaredCommands } from '../../agents/render/runner.js';
import { parseTemplateFlag, parseWait } from '../../agents/render/config.js';

t.test('{{path}} is substituted shell-quoted', async (t) => {
  t.equal(expandCommand('haproxy -c -f {{path}}', { path: '/tmp/a b/c.cfg' }), "haproxy -c -f '/tmp/a b/c.cfg'");
  t.equal(expandCommand('x {{ path }} {{other}}', { path: "it's" }), `x 'it'\\''s' {{other}}`);
  const r = await runCommand('printf %s {{path}}', { timeoutMs: 5000, vars: { path: "a'; echo injected; '" } });
  t.equal(r.output, "a'; echo injected; '", 'a hostile path stays one argument');
  t.equal(shellQuote(''), "''");
});

t.test('runCommand reports exit status and output', async (t) => {
  const r = await runCommand('echo out; echo err >&2; exit 3', { timeoutMs: 5000 });
  t.same([r.ok, r.exitCode, r.timedOut], [false, 3, false]);
  t.match(r.output, /out\n.*err/s);
  t.equal((await runCommand('true', { timeoutMs: 5000 })).ok, true);
});

t.test('runCommand: a timeout kills the shell and what it started, and says so', async (t) => {
  // the background sleep holds the output pipe: only killing the whole process group ends the command
  const r = await runCommand('echo started; sleep 30 & sleep 30', { timeoutMs: 200 });
  t.same([r.ok, r.timedOut], [false, true]);
  t.match(r.output, /^timed out after 200 ms\nstarted/);
});

t.test('declared commands', async (t) => {
  t.same(declaredCommands('{{!--\n  shoal-check: haproxy -c -f {{path}}\n  shoal-reload:  kill -USR2 1  \n--}}'), {
    check: 'haproxy -c -f {{path}}',
    reload: 'kill -USR2 1',
  });
  t.same(declaredCommands('no commands here'), {});
});

t.test('flags: --wait and --template', async (t) => {
  t.same(parseWait('500ms'), { minMs: 500, maxMs: 2000 });
  t.same(parseWait('1s:10s'), { minMs: 1000, maxMs: 10_000 });
  t.same(parseWait('0'), { minMs: 0, maxMs: 0 });
  t.throws(() => parseWait('2s:1s'));
  t.throws(() => parseWait('1s:2s:3s'));
  t.match(parseTemplateFlag('a.hbs:/etc/x.cfg:nginx -s reload -c /etc/x.cfg'), {
    source: 'a.hbs',
    destination: '/etc/x.cfg',
    reload: 'nginx -s reload -c /etc/x.cfg',
  });
  t.match(parseTemplateFlag('a.hbs:/etc/x.cfg'), { source: 'a.hbs', destination: '/etc/x.cfg', reload: undefined });
  t.throws(() => parseTemplateFlag('a.hbs'));
});
