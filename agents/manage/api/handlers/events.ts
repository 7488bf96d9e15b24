/** `/events`: every node's stream merged, each event tagged with its node (as classic Swarm did). */
import type http from 'node:http';
import { lineSplitter } from '../../../docker/events.js';
import type { Handler } from '../context.js';
import { eventsPlan } from '../eventsplan.js';

export const events: Handler = async ({ req, res, url, api }) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.flushHeaders();
  const upstreams: http.ClientRequest[] = [];
  const plan = eventsPlan(url.searchParams, Date.now());
  const nodes = plan.endNow ? [] : api.cluster.healthy();
  let open = nodes.length;
  const done = () => {
    open -= 1;
    if (open <= 0) res.end();
  };
  for (const n of nodes) {
    const preq = n.client.request('GET', `/events${plan.query ? `?${plan.query}` : ''}`);
    upstreams.push(preq);
    const split = lineSplitter();
    preq.on('response', (pres) => {
      pres.setEncoding('utf8');
      pres.on('data', (chunk: string) => {
        for (const line of split(chunk)) {
          try {
            const ev = JSON.parse(line) as Record<string, unknown>;
            res.write(
              JSON.stringify({
                ...ev,
                node: { Name: n.name, Id: n.id, Addr: n.addr, Ip: n.addr.replace(/:\d+$/, '') },
              }) + '\n',
            );
          } catch {
            // a torn line from a dying engine: skip it
          }
        }
      });
      pres.on('end', done);
      pres.on('error', done);
    });
    preq.on('error', done);
    preq.end();
  }
  if (nodes.length === 0) res.end();
  req.on('close', () => upstreams.forEach((u) => u.destroy()));
};
