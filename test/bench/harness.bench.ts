/**
 * The test cluster itself: how fast engine 1 answers /_ping and how long a busybox container takes from
 * `docker run` to answering HTTP on its published port. Limits are what the other benches and tests
 * assume of the harness.
 */
import { randomBytes } from 'node:crypto';
import { busyboxImage, engine, ping } from '../harness/engines.js';
import { percentile, printTable } from './table.js';

const e = await engine(1);
const image = await busyboxImage(e);

const pings: number[] = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  await ping(e.socket);
  pings.push(performance.now() - t0);
}

const starts: number[] = [];
for (let i = 0; i < 5; i++) {
  const name = `bench-harness-${randomBytes(3).toString('hex')}`;
  const t0 = performance.now();
  await e.cli(['run', '-d', '--name', name, '-p', '127.0.1.1::80', image, 'httpd', '-f', '-p', '80', '-h', '/www']);
  const port = (await e.cli(['port', name, '80/tcp'])).stdout.trim().split(':').at(-1) ?? '';
  for (;;) {
    const ok = await fetch(`http://127.0.1.1:${port}/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  starts.push(performance.now() - t0);
  await e.cli(['rm', '-f', name]);
}

printTable('test harness (engine 1)', [
  { name: '/_ping p50', value: percentile(pings, 50), unit: 'ms', limit: 20, better: 'lower' },
  { name: '/_ping p99', value: percentile(pings, 99), unit: 'ms', limit: 100, better: 'lower' },
  { name: 'run -> HTTP answer p50', value: percentile(starts, 50), unit: 'ms', limit: 3000, better: 'lower' },
  { name: 'run -> HTTP answer max', value: Math.max(...starts), unit: 'ms', limit: 5000, better: 'lower' },
]);
