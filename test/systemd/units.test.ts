/**
 * systemd/*.service: `systemd-analyze verify` is clean (exit 0 and not one warning), the offline security
 * score is low, and each unit has the settings the deployment relies on.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const UNITS = path.join(ROOT, 'systemd');
const AGENTS = ['registrator', 'join', 'render', 'manage'] as const;
const BIN = '/usr/local/bin/shoal';

// verify checks that ExecStart's binary exists: provide /usr/local/bin/shoal (this checkout) when it is missing
if (!existsSync(BIN)) {
  writeFileSync(BIN, `#!/bin/sh\nexec node --import tsx ${path.join(ROOT, 'agents/cli.ts')} "$@"\n`, { mode: 0o755 });
  t.teardown(() => rmSync(BIN, { force: true }));
}

/** `[Section]` -> key -> values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1] as string;
      out.set(section, out.get(section) ?? new Map());
      continue;
    }
    const i = line.indexOf('=');
    const k = line.slice(0, i);
    const sec = out.get(section) as Map<string, string[]>;
    sec.set(k, [...(sec.get(k) ?? []), line.slice(i + 1)]);
  }
  return out;
}

async function verify(files: string[]) {
  return execa('systemd-analyze', ['verify', ...files], { reject: false, env: { SYSTEMD_LOG_LEVEL: 'info' } });
}

t.test('exactly the four units exist', async (t) => {
  t.same(
    readdirSync(UNITS)
      .filter((f) => f.endsWith('.service'))
      .sort(),
    AGENTS.map((a) => `shoal-${a}.service`).sort(),
  );
});

t.test('systemd-analyze verify passes without a warning', async (t) => {
  const r = await verify(AGENTS.map((a) => path.join(UNITS, `shoal-${a}.service`)));
  t.equal(r.exitCode, 0);
  t.equal(String(r.stderr).trim(), '', 'no warnings');
});

t.test('the verify check catches a broken unit (so the test above means something)', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-units-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const text = readFileSync(path.join(UNITS, 'shoal-join.service'), 'utf8');
  for (const [from, to] of [
    ['Restart=always', 'Restart=sometimes'],
    ['ProtectSystem=strict', 'ProtectSytem=strict'],
    [BIN, '/usr/local/bin/shoal-missing'],
  ]) {
    const f = path.join(dir, 'shoal-join.service');
    writeFileSync(f, text.replaceAll(from as string, to as string));
    const r = await verify([f]);
    t.ok(r.exitCode !== 0 || String(r.stderr).trim() !== '', `${to}: reported`);
  }
});

for (const agent of AGENTS) {
  t.test(`shoal-${agent}.service settings`, async (t) => {
    const file = path.join(UNITS, `shoal-${agent}.service`);
    const u = parseUnit(readFileSync(file, 'utf8'));
    const unit = u.get('Unit') as Map<string, string[]>;
    const svc = u.get('Service') as Map<string, string[]>;
    const one = (k: string) => svc.get(k)?.join(' ');
    const words = (m: Map<string, string[]>, k: string) => (m.get(k) ?? []).flatMap((v) => v.split(/\s+/));
    t.equal(one('ExecStart'), `${BIN} ${agent} --config /etc/shoal/${agent}.yaml`);
    t.equal(one('EnvironmentFile'), `-/etc/shoal/${agent}.env`, 'optional env file');
    t.equal(one('Restart'), 'always');
    t.equal(one('Type'), 'notify');
    t.equal(one('NotifyAccess'), 'all', 'systemd-notify is a child process');
    t.ok(words(unit, 'After').includes('network-online.target'));
    t.ok(words(unit, 'Wants').includes('network-online.target'));
    const hardening: [string, string][] = [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
    ];
    for (const [k, v] of hardening) t.equal(one(k), v, k);
    t.ok(svc.has('CapabilityBoundingSet'), 'capabilities bounded');
    if (agent === 'registrator' || agent === 'join') {
      t.ok(words(unit, 'After').includes('docker.service'), 'after docker');
      t.ok(words(unit, 'Wants').includes('docker.service'), 'wants docker');
      t.equal(one('SupplementaryGroups'), 'docker', 'only the docker socket group');
      t.equal(one('DynamicUser'), 'yes', 'not root');
      t.equal(one('CapabilityBoundingSet'), '', 'no capabilities');
    }
    if (agent === 'manage') t.equal(one('CapabilityBoundingSet'), '', 'no capabilities');
    if (agent === 'render') {
      t.equal(one('CapabilityBoundingSet'), 'CAP_KILL');
      t.ok(
        words(svc, 'ReadWritePaths').includes('-/etc/haproxy') && words(svc, 'ReadWritePaths').includes('-/etc/nginx'),
        'can write the proxy configs',
      );
      t.equal(one('ExecReload'), '/bin/kill -HUP $MAINPID');
    }
    const sec = await execa('systemd-analyze', ['security', '--offline=true', file], { reject: false });
    const score = Number(/Overall exposure level for [^:]+: ([\d.]+)/.exec(String(sec.stdout))?.[1]);
    t.ok(score > 0 && score < 3, `exposure ${score} < 3 (systemd-analyze security)`);
  });
}
