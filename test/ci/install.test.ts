/**
 * .ci/install.sh in a sandbox: a PATH of stubs (apt-get, dpkg, id, systemctl, service, pkill, ...) that log
 * each call, and a policy-rc.d path of the test's own. It installs only what is missing, says what first,
 * holds a policy-rc.d that forbids service starts during the apt run (its own, removed after; an existing one
 * is left untouched) and never calls anything that stops a service or a process.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import t, { type Test } from 'tap';

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../.ci/install.sh');
const FORBIDDEN = ['systemctl', 'service', 'pkill', 'killall', 'invoke-rc.d', 'deb-systemd-invoke', 'kill'];
/** Every command the script looks for, so that none is missing. */
const ALL = [
  'dockerd',
  'etcd',
  'haproxy',
  'nginx',
  'ip',
  'curl',
  'openssl',
  'systemd-analyze',
  'systemd-notify',
  'python3',
  'docker-registry',
  'chromium',
  'consul',
];

interface Run {
  exitCode: number;
  stdout: string;
  calls: string[];
}

/** `have`: the commands that exist (as stubs); everything else the script looks for is missing. */
function sandbox(t: Test, have: string[]): { policy: string; run(): Promise<Run> } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-install-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  const log = path.join(dir, 'calls.log');
  const policy = path.join(dir, 'policy-rc.d');
  mkdirSync(bin);
  writeFileSync(log, '');
  const stub = (name: string, body: string) => {
    writeFileSync(path.join(bin, name), `#!/bin/sh\necho "${name} $*" >> ${log}\n${body}\n`);
    chmodSync(path.join(bin, name), 0o755);
  };
  for (const tool of ['cat', 'chmod', 'rm', 'awk']) {
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => existsSync(p));
    if (real) symlinkSync(real, path.join(bin, tool));
  }
  stub('id', 'echo 0');
  stub('dpkg', 'exit 0'); // busybox-static counts as installed
  // apt-get records what the policy-rc.d in force answers for a start while it runs
  stub('apt-get', `[ -x ${policy} ] && echo "policy says $(${policy} docker start; echo $?)" >> ${log}; exit 0`);
  for (const name of [...FORBIDDEN, ...have]) stub(name, 'exit 0');
  return {
    policy,
    async run() {
      const env = { PATH: bin, SHOAL_POLICY_RC_D: policy };
      const r = await execa('/bin/bash', [SCRIPT], { reject: false, env, extendEnv: false });
      const calls = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
      return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout), calls };
    },
  };
}

const touchedServices = (calls: string[]) => calls.filter((c) => FORBIDDEN.includes(c.split(' ')[0] ?? ''));

t.test('nothing missing: installs nothing, calls no apt-get and touches no service', async (t) => {
  const r = await sandbox(t, ALL).run();
  t.equal(r.exitCode, 0);
  t.match(r.stdout, /^install: nothing to install$/m);
  t.same(
    r.calls.filter((c) => c.startsWith('apt-get')),
    [],
  );
  t.same(touchedServices(r.calls), []);
});

t.test('haproxy and nginx missing: says so, installs them under its own policy-rc.d, removes it after', async (t) => {
  const s = sandbox(
    t,
    ALL.filter((c) => c !== 'haproxy' && c !== 'nginx'),
  );
  const r = await s.run();
  t.equal(r.exitCode, 0, r.stdout);
  t.match(r.stdout, /^install: will install: haproxy nginx-light$/m);
  const install = r.calls.filter((c) => c.startsWith('apt-get install'));
  t.same(install, ['apt-get install -y -qq --no-install-recommends haproxy nginx-light']);
  t.ok(r.calls.includes('policy says 101'), 'service starts are forbidden while apt runs');
  t.notOk(existsSync(s.policy), 'its policy-rc.d is removed afterwards');
  t.same(touchedServices(r.calls), [], 'no service stopped, no process killed');
});

t.test('an existing policy-rc.d is used as it is and left in place', async (t) => {
  const s = sandbox(
    t,
    ALL.filter((c) => c !== 'etcd'),
  );
  const mine = "#!/bin/sh\n# the operator's\nexit 101\n";
  writeFileSync(s.policy, mine, { mode: 0o755 });
  const r = await s.run();
  t.equal(r.exitCode, 0, r.stdout);
  t.match(r.stdout, /will install: etcd-server etcd-client/);
  t.equal(readFileSync(s.policy, 'utf8'), mine, 'untouched');
  t.same(touchedServices(r.calls), []);
});
