/**
 * The `shoal` binary as users run it: from source through tsx (always the current code) and, for the
 * packaging checks, the built dist/agents/cli.js and `npx shoal` (CI builds before it tests).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t from 'tap';
const tap = t;
import type { AgentSpec } from '../agents/config/spec.js';
import { joinSpec } from '../agents/join/config.js';
import { manageSpec } from '../agents/manage/config.js';
import { registratorSpec } from '../agents/registrator/config.js';
import { renderSpec } from '../agents/render/config.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'agents/cli.ts');
const DIST = path.join(ROOT, 'dist/agents/cli.js');
const SPECS = [registratorSpec, joinSpec, renderSpec, manageSpec] as AgentSpec<unknown>[];
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Runs `shoal ARGS` from source with a clean SHOAL_* environment. */
async function shoal(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('SHOAL_') && k !== 'DOCKER_HOST'),
  );
  const r = await execa(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...clean, ...env },
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  return { code: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function oneLine(t: Pick<typeof tap, 'equal' | 'match' | 'notMatch'>, stderr: string, expected: string | RegExp) {
  const lines = stderr.split('\n').filter((l) => l !== '');
  t.equal(lines.length, 1, `one line: ${stderr}`);
  if (typeof expected === 'string') t.equal(lines[0], expected);
  else t.match(lines[0], expected);
  t.notMatch(stderr, /\n\s+at /, 'no stack trace');
}

t.test('invalid input exits 2 with one line naming field, value and expectation', async (t) => {
  const r = await shoal(['join', '--addr', 'notanaddr', 'consul://consulhost01/swarm']);
  t.equal(r.code, 2);
  oneLine(t, r.stderr, 'shoal join: --addr "notanaddr": expected HOST:PORT');

  const go = await shoal([
    'registrator',
    '-ttl',
    '30',
    '-ttl-refresh',
    'soon',
    '-ip',
    '1.2.3.4',
    'consul://localhost:8500/services',
  ]);
  t.equal(go.code, 2);
  oneLine(t, go.stderr, 'shoal registrator: --ttl-refresh "soon": expected a duration such as 30s, 500ms or 2m');

  const unknown = await shoal(['manage', '-H=0.0.0.0:2375', '--bogus', 'consul://c/swarm']);
  t.equal(unknown.code, 2);
  oneLine(t, unknown.stderr, "shoal manage: unknown option '--bogus'");

  const cmd = await shoal(['frobnicate']);
  t.equal(cmd.code, 2);
  oneLine(t, cmd.stderr, "shoal: unknown command 'frobnicate'");
});

t.test('flag beats env, env is read (SHOAL_<FLAG>)', async (t) => {
  const env = await shoal(['join', '--addr', '10.0.0.1:2375', 'consul://c/swarm'], { SHOAL_TTL: 'soon' });
  t.equal(env.code, 2);
  oneLine(t, env.stderr, 'shoal join: SHOAL_TTL "soon": expected a duration such as 30s, 500ms or 2m');
  // the flag hides the bad env value: the next problem reported is the missing discovery URI
  const flag = await shoal(['join', '--addr', '10.0.0.1:2375', '--ttl', '1m'], { SHOAL_TTL: 'soon' });
  t.equal(flag.code, 2);
  oneLine(t, flag.stderr, 'shoal join: --discovery: expected a discovery URI such as consul://HOST/swarm');
});

t.test('--config: values, unknown keys named, missing files', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-cli-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(bad, 'addr: 10.0.0.1:2375\nheartbeat: 10s\nttl: 20s\nhearbeat: 5s\n');
  const r = await shoal(['join', '--config', bad, 'consul://c/swarm']);
  t.equal(r.code, 2);
  oneLine(t, r.stderr, `shoal join: --config "${bad}": unknown option "hearbeat"`);

  const short = path.join(dir, 'short.yaml');
  writeFileSync(short, 'addr: 10.0.0.1:2375\nheartbeat: 90s\n');
  const file = await shoal(['join', 'consul://c/swarm'], { SHOAL_CONFIG: short });
  t.equal(file.code, 2);
  oneLine(t, file.stderr, 'shoal join: --ttl "60s": expected a duration longer than --heartbeat (90s)');

  const missing = await shoal(['join', '--config', path.join(dir, 'nope.yaml'), 'consul://c/swarm']);
  t.equal(missing.code, 2);
  oneLine(t, missing.stderr, `shoal join: --config "${path.join(dir, 'nope.yaml')}": cannot read the file (ENOENT)`);
});

t.test('secrets are not echoed', async (t) => {
  const r = await shoal(['join', '--addr', '10.0.0.1:2375', 'consul://admin:hunter2@consulhost01/swarm']);
  t.equal(r.code, 2);
  t.notMatch(r.stdout + r.stderr, /hunter2/);
  oneLine(
    t,
    r.stderr,
    /^shoal join: <discovery-uri> "consul:\/\/\[redacted\]@consulhost01\/swarm": credentials do not belong/,
  );
  const tok = await shoal(['join', '--addr', 'nope', '--store-token', 's3cr3t-token', 'consul://c/swarm'], {
    SHOAL_STORE_PASSWORD: 'pw-hunter3',
  });
  t.equal(tok.code, 2);
  t.notMatch(tok.stdout + tok.stderr, /s3cr3t-token|pw-hunter3/);
});

t.test('shoal --version and help', async (t) => {
  const v = await shoal(['--version']);
  t.equal(v.code, 0);
  t.equal(v.stdout.trim(), VERSION);
  const h = await shoal(['--help']);
  t.equal(h.code, 0);
  for (const s of SPECS) t.match(h.stdout, new RegExp(`^  ${s.name} `, 'm'), `lists ${s.name}`);
  const bare = await shoal([]);
  t.equal(bare.code, 0, 'shoal alone prints the help');
  t.match(bare.stdout, /^Usage: shoal /);
  t.equal(bare.stderr, '');
});

for (const spec of SPECS) {
  t.test(`shoal ${spec.name} --help lists every flag with its default, and examples`, async (t) => {
    const r = await shoal([spec.name, '--help']);
    t.equal(r.code, 0);
    // commander wraps descriptions: compare on one line of words
    const text = r.stdout.replace(/\s+/g, ' ');
    for (const o of spec.options) {
      if (o.hidden) continue;
      const names = `${o.short ? `-${o.short}, ` : ''}--${o.flag}${o.value ? ` <${o.value}>` : ''}`;
      t.ok(text.includes(` ${names} `), `${names} listed`);
      if (o.default !== undefined) {
        const d = Array.isArray(o.default) ? o.default.join(',') || 'none' : String(o.default);
        t.ok(text.includes(`(default: ${d}`), `--${o.flag} default ${d} shown`);
      }
      t.ok(text.includes(`SHOAL_${o.flag.toUpperCase().replace(/-/g, '_')}`), `--${o.flag} env shown`);
    }
    t.match(r.stdout, new RegExp(`Examples:\\n  shoal ${spec.name} `), 'has an example');
    t.ok(spec.examples.length > 0);
  });
}

t.test('the built binary: node dist/agents/cli.js and npx shoal', async (t) => {
  if (!existsSync(DIST)) {
    t.fail(`${DIST} is missing: run npm run build first (CI builds before testing)`);
    return;
  }
  const node = await execa(process.execPath, [DIST, '--version'], { reject: false });
  t.equal(node.exitCode, 0);
  t.equal(String(node.stdout).trim(), VERSION);
  const npx = await execa('npx', ['--no-install', 'shoal', '--help'], { cwd: ROOT, reject: false, timeout: 60_000 });
  t.equal(npx.exitCode, 0, String(npx.stderr));
  t.match(String(npx.stdout), /^Usage: shoal /);
  const bad = await execa(process.execPath, [DIST, 'join', '--addr=notanaddr', 'consul://c/s'], { reject: false });
  t.equal(bad.exitCode, 2);
  t.equal(String(bad.stderr), 'shoal join: --addr "notanaddr": expected HOST:PORT');
});
