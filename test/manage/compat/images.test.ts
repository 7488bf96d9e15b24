/**
 * Classic Swarm compatibility of image commands, with the stock CLI: history from a node holding the image
 * (IM2), the cross-node save message (IM3), push from the nodes holding the image, search and login
 * forwarded to a node (IM5), a 64-hex reference that is no image (IM4).
 */
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registry } from '../../harness/index.js';
import { ENGINE_ADDRS, IMAGE, managerConfig, sharedEngines, startTestManager, suffix } from '../helpers.js';

const engines = await sharedEngines();
const [e1, e2] = engines as [(typeof engines)[0], (typeof engines)[0]];
const P = `cpimg${suffix()}`;
const REG = await registry();
const tm = await startTestManager(managerConfig(ENGINE_ADDRS));
const dir = mkdtempSync(path.join(os.tmpdir(), 'cpimg-'));
t.teardown(async () => {
  await tm.stop();
  for (const e of engines) await e.cli(['rmi', `${P}/a:1`, `${P}/b:1`, `${REG}/${P}/push:1`], { reject: false });
  rmSync(dir, { recursive: true, force: true });
});

t.test('IM2: history is answered by a node holding the image', async (t) => {
  await e2.cli(['tag', IMAGE, `${P}/b:1`]);
  const r = await tm.docker(['history', `${P}/b:1`]);
  t.match(r.stdout, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT/);
  t.equal(r.stdout.trim().split('\n').length, 2, 'one layer');
});

t.test('IM3: save of images no single node holds answers as classic Swarm', async (t) => {
  await e1.cli(['tag', IMAGE, `${P}/a:1`]);
  const r = await tm.docker(['save', '-o', path.join(dir, 'f.tar'), IMAGE, `${P}/a:1`, `${P}/b:1`], { reject: false });
  t.equal(r.exitCode, 1);
  t.equal(
    r.stderr.trim(),
    `Error response from daemon: Unable to find a healthy engine containing all images: [${IMAGE} ${P}/a:1 ${P}/b:1]`,
  );
});

t.test('IM5: push from the node holding the image; login and search go to a node', async (t) => {
  const config = mkdtempSync(path.join(dir, 'cfg-'));
  const env = { DOCKER_CONFIG: config };
  const login = await tm.docker(['login', '-u', 'u', '--password-stdin', REG], { input: 'pw', env });
  t.match(login.stdout, /Login Succeeded/);
  await e1.cli(['tag', IMAGE, `${REG}/${P}/push:1`]);
  await tm.docker(['push', `${REG}/${P}/push:1`], { env });
  const tags = (await (await fetch(`http://${REG}/v2/${P}/push/tags/list`)).json()) as { tags?: string[] };
  t.same(tags.tags, ['1'], 'the image is in the registry');
  const direct = await e1.cli(['search', `${P}`], { reject: false });
  const through = await tm.docker(['search', `${P}`], { reject: false });
  t.equal(through.exitCode, direct.exitCode, 'answered as an engine answers');
  t.notMatch(through.stderr, /not supported/);
  t.equal(through.stderr.trim(), direct.stderr.toString().trim());
});

t.test('IM4: run with a 64-hex reference no node has answers with the pull failure', async (t) => {
  const hex = '4e8aa3148a132f19ec560952231c4d39522043994df7d2dc239942c0f9424ebd';
  const r = await tm.docker(['run', '-d', hex], { reject: false });
  t.equal(r.exitCode, 125);
  t.match(
    r.stderr,
    `docker: Error response from daemon: invalid repository name (${hex}), cannot specify 64-byte hexadecimal strings`,
  );
});
