/** Start-up of `shoal join` against a store that refuses its ACL token: exit 2 at once, one clear line. */
import t from 'tap';
import { loadConfig } from '../../agents/config/load.js';
import { joinSpec } from '../../agents/join/config.js';
import { main } from '../../agents/join/main.js';
import { silentLogger } from '../../agents/common/log.js';
import { ACL_HCL, consulReady, throwawayConsul } from '../helpers/throwaway-consul.js';

t.test('a refused ACL token ends join before its first heartbeat, with exit code 2', async (t) => {
  const port = await throwawayConsul(t, false, ACL_HCL);
  await consulReady(port);
  const uri = `consul://127.0.0.1:${port}/acl-join`;
  const flags = { addr: '127.0.1.9:2375', checkEngine: false, heartbeat: '200ms', ttl: '3s', storeToken: 'bogus' };
  const config = loadConfig(joinSpec, { flags, positional: uri, env: {} }).config;
  await t.rejects(main(config, { log: silentLogger(), signal: new AbortController().signal, env: {} }), {
    exitCode: 2,
    message: /^shoal join: store refused the credentials \(consul:\/\/127\.0\.0\.1:\d+\/acl-join\): .*ACL not found/,
  });
});
