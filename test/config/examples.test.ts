/**
 * config/*.yaml: each example loads through the agents' own loader (as `--config` would), names every option
 * of its agent's spec exactly once (set, or commented out with an example value), and still loads with every
 * commented option switched on.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { loadConfig } from '../../agents/config/load.js';
import type { AgentSpec } from '../../agents/config/spec.js';
import { registratorSpec } from '../../agents/registrator/config.js';
import { joinSpec } from '../../agents/join/config.js';
import { renderSpec } from '../../agents/render/config.js';
import { manageSpec } from '../../agents/manage/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SPECS = [registratorSpec, joinSpec, renderSpec, manageSpec] as AgentSpec<unknown>[];

function names(spec: AgentSpec<unknown>): Map<string, string> {
  const m = new Map<string, string>();
  for (const o of spec.options) for (const n of [o.key, o.flag, ...(o.aliases ?? [])]) m.set(n, o.key);
  return m;
}

/** Top-level keys: `key:` set, `# key:` commented out (one space after '#', a known option name). */
function keysOf(text: string, known: Map<string, string>) {
  const set: string[] = [];
  const commented: string[] = [];
  for (const line of text.split('\n')) {
    const a = /^([a-z][a-zA-Z0-9-]*):/.exec(line);
    if (a) set.push(a[1] as string);
    const c = /^# ([a-z][a-zA-Z0-9-]*): /.exec(line);
    if (c && known.has(c[1] as string)) commented.push(c[1] as string);
  }
  return { set, commented };
}

for (const spec of SPECS) {
  const file = path.join(ROOT, 'config', `${spec.name}.yaml`);
  const text = readFileSync(file, 'utf8');

  t.test(`config/${spec.name}.yaml loads with loadConfig`, async (t) => {
    const { config, sources } = loadConfig(spec, { flags: {}, env: {}, configFile: file });
    t.ok(config);
    const fromFile = Object.entries(sources).filter(([, s]) => s === 'file').length;
    t.ok(fromFile >= 5, `options taken from the file: ${fromFile}`);
  });

  t.test(`config/${spec.name}.yaml names every option of the spec exactly once`, async (t) => {
    const known = names(spec);
    const { set, commented } = keysOf(text, known);
    for (const k of set) t.ok(known.has(k), `${k} is an option of shoal ${spec.name}`);
    const covered = [...set, ...commented].map((k) => known.get(k) ?? `?${k}`);
    t.same([...covered].sort(), spec.options.map((o) => o.key).sort(), 'each option once');
    t.ok(text.split('\n').filter((l) => l.startsWith('#')).length >= spec.options.length / 2, 'commented');
  });

  t.test(`config/${spec.name}.yaml still loads with every commented option switched on`, async (t) => {
    const known = names(spec);
    const all = text
      .split('\n')
      .map((l) => {
        const c = /^# ([a-z][a-zA-Z0-9-]*): /.exec(l);
        return c && known.has(c[1] as string) ? l.slice(2) : l;
      })
      .join('\n');
    t.not(all, text, 'something was commented out');
    const { config } = loadConfig(spec, { flags: {}, env: {}, configFile: 'all.yaml', readFile: () => all });
    t.ok(config);
  });
}

t.test('a key that is not an option is refused (the check above relies on it)', async (t) => {
  t.throws(
    () =>
      loadConfig(joinSpec as AgentSpec<unknown>, {
        flags: {},
        env: {},
        configFile: 'x.yaml',
        readFile: () => 'discovery: consul://h/swarm\naddr: 1.2.3.4:2375\nheartbeet: 5s\n',
      }),
    /unknown option "heartbeet"/,
  );
});

t.test('the render example carries a check and reload per template', async (t) => {
  const { config } = loadConfig(renderSpec, { flags: {}, env: {}, configFile: path.join(ROOT, 'config/render.yaml') });
  t.equal(config.templates.length, 1);
  t.match(config.templates[0], {
    destination: '/etc/haproxy/haproxy.cfg',
    check: 'haproxy -c -f {{path}}',
    reload: 'systemctl reload haproxy',
    perms: 0o644,
    backup: true,
  });
});
