/** A throwaway Consul dev agent, for the cases that need server-wide settings (ACLs, TLS). */
import type { Test as TapTest } from 'tap';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from '../harness/proxies.js';

/** A throwaway dev agent on free loopback ports with extra HCL; the returned port is its HTTP(S) port. */
export async function throwawayConsul(t: TapTest, https: boolean, extraHcl: string): Promise<number> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoal-consul-'));
  const [port, serf, wan, server] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const hcl = path.join(dir, 'extra.hcl');
  const api = https ? `http = -1 https = ${port}` : `http = ${port}`;
  const ports = `ports { ${api} dns = -1 grpc = -1 serf_lan = ${serf} serf_wan = ${wan} server = ${server} }`;
  writeFileSync(hcl, `${ports}\n${extraHcl}\n`);
  const node = `throwaway-${port}`;
  const args = ['agent', '-dev', '-bind', '127.0.0.1', '-client', '127.0.0.1', '-node', node, '-config-file', hcl];
  const agent = spawn('consul', args, { stdio: 'ignore' });
  t.teardown(async () => {
    const exited = once(agent, 'exit');
    agent.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  return port;
}

/** ACLs on, deny by default, one management token. */
export const ACL_HCL = 'acl { enabled = true default_policy = "deny" tokens { master = "shoal-root-token" } }';

/** Resolves once the agent at `port` has a leader. */
export async function consulReady(port: number): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const leader = await fetch(`http://127.0.0.1:${port}/v1/status/leader`).then(
      (r) => r.text(),
      () => '',
    );
    if (leader.length > 2) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`consul on port ${port} did not come up`);
}
