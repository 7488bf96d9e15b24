import t from 'tap';
import { readFileSync } from 'node:fs';
import { buildContext } from '../../agents/render/context.js';
import { compileTemplate, TemplateError } from '../../agents/render/template.js';
import { sanitize } from '../../agents/render/helpers.js';
import type { KV } from '../../agents/store/store.js';

function render(tpl: string, entries: KV[], env: NodeJS.ProcessEnv = {}, domain = 'shoal.test') {
  const b = buildContext(entries, { domain });
  return { ...compileTemplate(tpl, 'test.hbs')(b.context, b.entries, env), skipped: b.skipped };
}

const ENTRIES: KV[] = [
  { key: 'web-80/h2:w2:80', value: '10.0.0.2:1002' },
  { key: 'web-80/h1:w1:80', value: '10.0.0.1:1001' },
  { key: 'api-9000/h1:api:9000', value: '[fd00::1]:2000' },
  { key: 'config/timeout', value: '5s' },
  { key: 'config/evil', value: '1s;\n  bind *:1' },
  { key: 'config/pool/a', value: 'x1' },
  { key: 'config/pool/b', value: 'x2' },
];

t.test('context fields and plain output (no HTML escaping)', async (t) => {
  const r = render(
    '{{#each services}}{{name}} {{port}} {{#each backends}}[{{host}} {{container}} {{ip}} {{port}} {{address}}]{{/each}}\n{{/each}}{{domain}}',
    ENTRIES,
  );
  t.equal(
    r.text,
    'api 9000 [h1 api fd00::1 2000 [fd00::1]:2000]\nweb 80 [h1 w1 10.0.0.1 1001 10.0.0.1:1001][h2 w2 10.0.0.2 1002 10.0.0.2:1002]\nshoal.test',
  );
});

t.test('helpers', async (t) => {
  const cases: [string, string][] = [
    ['{{#service "web-80"}}{{id}}:{{backends.length}}{{else}}none{{/service}}', 'web-80:2'],
    ['{{#service "web-81"}}{{id}}{{else}}none{{/service}}', 'none'],
    ['{{#with (service "api-9000")}}{{name}}{{/with}}', 'api'],
    ['{{key "config/timeout"}}', '5s'],
    ['[{{key "config/missing"}}]', '[]'],
    ['{{keyOrDefault "config/missing" "30s"}}', '30s'],
    ['{{keyOrDefault "config/timeout" "30s"}}', '5s'],
    ['{{#each (ls "config/pool")}}{{name}}={{value}};{{/each}}', 'a=x1;b=x2;'],
    ['{{#each (ls "config")}}{{name}},{{/each}}', 'timeout,'],
    ['{{#each (tree "config")}}{{this.key}},{{/each}}', 'pool/a,pool/b,timeout,'],
    ['{{env "PORT" "80"}}/{{env "UNSET" "d"}}/{{env "EMPTY" "d"}}', '8080/d/d'],
    ['{{sanitize "a b;c{d}\ne..f"}}', 'a_b_c_d__e_f'],
    ['{{join (sortBy services "name") " " "name"}}', 'api web'],
    ['{{join (sortBy (lookup (service "web-80") "backends") "port") "," "port"}}', '1001,1002'],
    ['{{#if (eq domain "shoal.test")}}yes{{else}}no{{/if}}', 'yes'],
    ['{{#if (eq domain "x")}}yes{{else}}no{{/if}}', 'no'],
  ];
  for (const [tpl, want] of cases) t.equal(render(tpl, ENTRIES, { PORT: '8080', EMPTY: '' }).text, want, tpl);
});

t.test('hostile data never reaches the output', async (t) => {
  const hostile: KV[] = [
    { key: 'web-80/h1:w1:80', value: '10.0.0.1:80' },
    { key: 'x}\n  server evil 6.6.6.6:80-80/h1:w1:80', value: '10.0.0.1:80' },
    { key: 'x;-80/h1:w1:80', value: '10.0.0.1:80' },
    { key: 'ok-80/h1:w1;deny:80', value: '10.0.0.1:80' },
    { key: 'ok-80/h1:w1:80', value: '10.0.0.1:80;\nbind *:6666' },
    { key: 'ok-81/h1:w1:80', value: '10.0.0.1:80 backup' },
    { key: 'cfg/x', value: '1 }\nfoo' },
  ];
  const r = render(
    '{{#each services}}{{id}}|{{#each backends}}{{container}} {{address}}|{{/each}}{{/each}}#{{key "cfg/x"}}#{{keyOrDefault "cfg/x" "d"}}#{{env "EVIL" "safe"}}#{{join (tree "cfg") "," "value"}}',
    hostile,
    { EVIL: 'a\nb' },
  );
  t.equal(r.text, 'web-80|w1 10.0.0.1:80|##d#safe#');
  t.equal(r.skipped.length, 6, 'every hostile entry (and the non-service key cfg/x) skipped once');
  t.same(
    r.unsafe.map((u) => u.what),
    ['key cfg/x', 'key cfg/x', 'env EVIL', 'tree x'],
  );
  t.throws(() => render('{{join services "\n"}}', hostile), TemplateError, 'unsafe separator is a template error');
  t.equal(sanitize('web\n}'), 'web__');
});

t.test('template errors are typed', async (t) => {
  t.throws(() => compileTemplate('{{#each services}}', 'bad.hbs'), { code: 'SHOAL_TEMPLATE_ERROR' });
  const tpl = compileTemplate('{{nosuchhelper 1 2}}', 'bad.hbs');
  t.throws(() => tpl({ services: [], domain: 'd', backendCount: 0 }, [], {}), { code: 'SHOAL_TEMPLATE_ERROR' });
});

t.test('deterministic: same entries in any order give the same bytes', async (t) => {
  const src = readFileSync('templates/haproxy.cfg.hbs', 'utf8');
  const entries: KV[] = [];
  for (let i = 0; i < 200; i++)
    entries.push({
      key: `svc${i % 17}-${8000 + (i % 3)}/h${i % 5}:c${i}:80`,
      value: `10.0.${i % 5}.${(i % 250) + 1}:${30000 + i}`,
    });
  const a = render(src, entries).text;
  const shuffled = [...entries].sort(() => Math.random() - 0.5);
  t.equal(render(src, shuffled).text, a);
  t.equal(render(src, [...entries].reverse()).text, a);
});

t.test('sidefile: the block becomes a file beside the destination, named after its content', async (t) => {
  const tpl = compileTemplate(
    'map({{#sidefile "hosts.map"}}{{#each services}}{{id}}\n{{/each}}{{/sidefile}})',
    's.hbs',
  );
  const b = buildContext(ENTRIES, { domain: 'shoal.test' });
  const r = tpl(b.context, b.entries, {}, '/etc/haproxy/haproxy.cfg');
  t.equal(r.files.length, 1);
  t.equal(r.files[0]?.text, 'api-9000\nweb-80\n');
  t.match(r.files[0]?.path, /^\/etc\/haproxy\/haproxy\.cfg\.[0-9a-f]{12}\.hosts\.map$/);
  t.equal(r.text, `map(${r.files[0]?.path})`);
  const other = tpl(buildContext(ENTRIES.slice(2), { domain: 'x' }).context, [], {}, '/etc/haproxy/haproxy.cfg');
  t.not(other.files[0]?.path, r.files[0]?.path, 'other content, other name');
  t.throws(() => compileTemplate('{{#sidefile "../x"}}a{{/sidefile}}', 'bad.hbs')(b.context, [], {}), {
    code: 'SHOAL_TEMPLATE_ERROR',
  });
});

t.test('HAProxy routing is map lookups: the frontend does not grow with the number of services', async (t) => {
  const tpl = compileTemplate(readFileSync('templates/haproxy.cfg.hbs', 'utf8'), 'h');
  const frontend = (n: number) => {
    const e = Array.from({ length: n }, (_, i) => ({ key: `svc${i}-80/h1:c${i}:80`, value: `127.0.0.1:${1000 + i}` }));
    const b = buildContext(e, { domain: 'shoal.test' });
    const r = tpl(b.context, b.entries, {}, '/x/haproxy.cfg');
    const text = r.text.slice(r.text.indexOf('\nfrontend '), r.text.indexOf('\nbackend '));
    return { lines: text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')), files: r.files };
  };
  const one = frontend(1);
  const many = frontend(200);
  t.equal(many.lines.length, one.lines.length, `${one.lines.length} frontend lines for 1 service and for 200`);
  t.match(many.lines.join('\n'), /map_str\(\/x\/haproxy\.cfg\.[0-9a-f]{12}\.hosts\.map\)/);
  t.match(many.lines.join('\n'), /map_beg\(\/x\/haproxy\.cfg\.[0-9a-f]{12}\.paths\.map\)/);
  const hosts = many.files.find((f) => f.path.endsWith('.hosts.map'))?.text.split('\n') ?? [];
  t.ok(hosts.includes('svc7-80.shoal.test be_svc7-80') && hosts.includes('svc7.shoal.test be_svc7-80'), 'host map');
  const paths = many.files.find((f) => f.path.endsWith('.paths.map'))?.text.split('\n') ?? [];
  t.ok(paths.includes('/svc7/ be_svc7-80'), 'path map');
});
