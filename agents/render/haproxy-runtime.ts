/**
 * HAProxy's runtime API (the admin socket the rendered config declares in `global`): applies a server-only
 * change (haproxy-diff.ts) to the running HAProxy without a reload. New servers are added with the same line
 * as in the file and set ready at once; a removed server is put in maintenance first (no new request from that
 * moment, requests in flight finish) and deleted, or, while HAProxy still holds connections to it, deleted
 * later. Keeps what it believes runs; any refused command forgets it, so the caller reloads instead.
 */
import net from 'node:net';
import { RuntimeApiError } from './errors.js';
import {
  hasCheck,
  parseHaproxyConfig,
  planRuntime,
  splitAddr,
  type ParsedConfig,
  type RuntimeOp,
  type ServerLine,
} from './haproxy-diff.js';

/** One command on a new connection (non-interactive mode: HAProxy answers and closes). */
export function socketCommand(socket: string, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const c = net.createConnection(socket);
    const timer = setTimeout(() => c.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    c.setEncoding('utf8');
    c.on('connect', () => c.end(`${command}\n`));
    c.on('data', (d: string) => (out += d));
    c.on('error', (e) => {
      clearTimeout(timer);
      reject(new RuntimeApiError(command, e.message, e));
    });
    c.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(out.trim());
    });
  });
}

type Expect = 'empty' | RegExp;

export type ApplyResult = { applied: true; ops: number } | { applied: false; why: string };

const key = (backend: string, server: string) => `${backend}/${server}`;

export class HaproxyRuntime {
  /** The config the running HAProxy has (file lines; servers being drained are extra). */
  private live: ParsedConfig | undefined;
  /** Removed from the config, in maintenance, `del server` refused so far (connections still attached). */
  private readonly draining = new Map<string, { backend: string; server: string; line: ServerLine; tries: number }>();

  constructor(private readonly timeoutMs: number) {}

  /** HAProxy (re)loaded this config: it is what runs now. */
  reloaded(text: string): void {
    this.live = parseHaproxyConfig(text);
    this.draining.clear();
  }

  /** What runs is unknown (a command failed half-way, a check failed after applying): the next change reloads. */
  forget(): void {
    this.live = undefined;
  }

  get known(): boolean {
    return this.live !== undefined;
  }

  get drainingCount(): number {
    return this.draining.size;
  }

  private async run(socket: string, command: string, expect: Expect): Promise<string> {
    const out = await socketCommand(socket, command, this.timeoutMs);
    const ok = expect === 'empty' ? out === '' : expect.test(out);
    if (!ok) throw new RuntimeApiError(command, out || '(no answer)');
    return out;
  }

  /**
   * Apply `text` at runtime when it differs from what runs only in servers of existing backends. Returns why
   * not otherwise (the caller reloads); a failed command leaves the live state unknown.
   */
  async apply(text: string): Promise<ApplyResult> {
    if (this.live === undefined) return { applied: false, why: 'live state unknown (no reload by shoal yet)' };
    const next = parseHaproxyConfig(text);
    if (next.adminSocket === undefined) return { applied: false, why: 'no admin socket in the config' };
    const plan = planRuntime(this.live, next);
    if (plan.kind === 'same') return { applied: true, ops: 0 };
    if (plan.kind === 'shape') return { applied: false, why: plan.why };
    try {
      for (const op of plan.ops) await this.applyOp(next.adminSocket, op);
    } catch (e) {
      this.forget();
      throw e;
    }
    this.live = next;
    return { applied: true, ops: plan.ops.length };
  }

  private async applyOp(socket: string, op: RuntimeOp): Promise<void> {
    const name = key(op.backend, op.server);
    if (op.op === 'del') {
      const line = this.live?.backends.get(op.backend)?.get(op.server);
      await this.run(socket, `set server ${name} state maint`, 'empty');
      const gone = await this.tryDelete(socket, name);
      if (!gone && line) this.draining.set(name, { backend: op.backend, server: op.server, line, tries: 0 });
      return;
    }
    if (op.op === 'addr') return this.setAddr(socket, name, op.addr);
    const drained = this.draining.get(name);
    if (drained && drained.line.args === op.args) {
      // still there in maintenance: point it at the new address and put it back
      this.draining.delete(name);
      await this.setAddr(socket, name, op.addr);
    } else {
      if (drained) throw new RuntimeApiError(`add server ${name}`, 'a server of that name is still draining');
      await this.run(socket, `add server ${name} ${op.addr} ${op.args}`.trim(), /New server registered/);
      if (hasCheck(op.args)) await this.run(socket, `enable health ${name}`, 'empty');
    }
    await this.run(socket, `set server ${name} state ready`, 'empty');
  }

  private async setAddr(socket: string, name: string, addr: string): Promise<void> {
    const a = splitAddr(addr);
    if (!a) throw new RuntimeApiError(`set server ${name} addr`, `address ${addr} is not ip:port`);
    await this.run(socket, `set server ${name} addr ${a.ip} port ${a.port}`, /changed from|no need to change/i);
  }

  private async tryDelete(socket: string, name: string): Promise<boolean> {
    const out = await socketCommand(socket, `del server ${name}`, this.timeoutMs).catch(() => '');
    return /Server deleted/.test(out);
  }

  /** Try again to delete the servers still draining; gives up on one after `maxTries` (it stays in maintenance). */
  async retryDraining(maxTries = 120): Promise<number> {
    const socket = this.live?.adminSocket;
    if (socket === undefined) return 0;
    for (const [name, d] of this.draining) {
      if ((await this.tryDelete(socket, name)) || ++d.tries >= maxTries) this.draining.delete(name);
    }
    return this.draining.size;
  }
}
