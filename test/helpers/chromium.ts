/**
 * A real headless Chromium (Debian `chromium`) driven over the DevTools protocol on a pipe
 * (`--remote-debugging-pipe`: commands in on fd 3, answers and events out on fd 4, each JSON message ended by
 * a NUL byte), so a test needs no npm dependency and no WebSocket client. One page per browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';

interface Pending {
  resolve: (v: Record<string, any>) => void;
  reject: (e: Error) => void;
}

export interface Page {
  /** Load `url` and wait for its load event. */
  goto(url: string): Promise<void>;
  /** The value of a JavaScript expression in the page (promises awaited); a thrown error rejects. */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG of the page as it is now. */
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function launchChromium(opts: { width?: number; height?: number } = {}): Promise<Page> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'shoal-chromium-'));
  const args = [
    '--headless',
    '--no-sandbox', // tests run as root
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--no-first-run',
    '--no-default-browser-check',
    '--remote-debugging-pipe',
    `--user-data-dir=${profile}`,
    'about:blank',
  ];
  const proc: ChildProcess = spawn('chromium', args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const toBrowser = proc.stdio[3] as Writable;
  const fromBrowser = proc.stdio[4] as Readable;
  const pending = new Map<number, Pending>();
  const waiters: { method: string; sessionId?: string; resolve: () => void }[] = [];
  let nextId = 1;
  let buf = '';
  let exited: Error | undefined;
  proc.on('exit', (code, signal) => {
    exited = new Error(`chromium exited (${code ?? signal}): ${stderr}`);
    for (const p of pending.values()) p.reject(exited);
    pending.clear();
  });
  fromBrowser.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i)) as Record<string, any>;
      buf = buf.slice(i + 1);
      if (typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message} (${msg.error.code})`));
        else p?.resolve(msg.result as Record<string, any>);
      } else if (typeof msg.method === 'string') {
        for (const w of waiters.filter((w) => w.method === msg.method && w.sessionId === msg.sessionId)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  const event = (method: string, sessionId: string) =>
    new Promise<void>((resolve) => waiters.push({ method, sessionId, resolve }));

  const close = async () => {
    if (!exited) {
      await send('Browser.close').catch(() => {});
      await new Promise<void>((r) => (exited ? r() : proc.once('exit', () => r())));
    }
    rmSync(profile, { recursive: true, force: true });
  };
  try {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const s = sessionId as string;
    await send('Page.enable', {}, s);
    const width = opts.width ?? 1400;
    const height = opts.height ?? 900;
    await send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false }, s);
    return {
      async goto(url) {
        const loaded = event('Page.loadEventFired', s);
        const r = await send('Page.navigate', { url }, s);
        if (r.errorText) throw new Error(`navigate ${url}: ${r.errorText}`);
        await loaded;
      },
      async evaluate<T>(expression: string) {
        const r = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, s);
        if (r.exceptionDetails) throw new Error(`evaluate: ${JSON.stringify(r.exceptionDetails)}`);
        return r.result?.value as T;
      },
      async screenshot() {
        const r = await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, s);
        return Buffer.from(r.data as string, 'base64');
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
