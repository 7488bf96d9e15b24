/**
 * One request sent to several nodes at once (image pull, import, load): the client's body, if any, is teed
 * to every node, and the nodes' JSON message streams are merged line by line, each message marked with the
 * node it came from, so the docker CLI shows one progress line per node and layer.
 */
import type http from 'node:http';
import type { DockerClient } from '../../docker/client.js';

export interface FanoutTarget {
  name: string;
  client: DockerClient;
}

/** A node's message, marked with the node: `id` (progress lines), or `status`/`stream`, and errors. Pure. */
export function markMessage(line: string, node: string): string {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return JSON.stringify({ status: `${node}: ${line}` });
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    return JSON.stringify({ status: `${node}: ${line}` });
  const m = { ...(msg as Record<string, unknown>) };
  if (typeof m['id'] === 'string' && m['id'] !== '') m['id'] = `${node}: ${m['id']}`;
  else if (typeof m['status'] === 'string') m['status'] = `${node}: ${m['status']}`;
  if (typeof m['stream'] === 'string') m['stream'] = `${node}: ${m['stream']}`;
  if (typeof m['error'] === 'string') m['error'] = `${node}: ${m['error']}`;
  const detail = m['errorDetail'];
  if (typeof detail === 'object' && detail !== null && typeof (detail as { message?: unknown }).message === 'string') {
    m['errorDetail'] = { ...detail, message: `${node}: ${(detail as { message: string }).message}` };
  }
  return JSON.stringify(m);
}

/** The error message a node answered with (JSON `message`, or the text itself). Pure. */
export function errorText(body: string): string {
  try {
    const m = (JSON.parse(body) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON
  }
  return body.trim();
}

export const errorLine = (node: string, message: string): string =>
  JSON.stringify({ errorDetail: { message: `${node}: ${message}` }, error: `${node}: ${message}` });

/**
 * Send `method path` to every target, teeing `req`'s body when `withBody`; write the merged, marked messages
 * to `res` (status 200, already chosen by the caller); resolve when every node is done. Per-node failures
 * (an error status, a dropped connection) become error messages; they never end the other nodes' streams.
 */
export async function fanout(
  targets: readonly FanoutTarget[],
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders,
  withBody: boolean,
): Promise<void> {
  const write = (line: string) => {
    if (!res.writableEnded) res.write(line + '\n');
  };
  await Promise.all(
    targets.map(
      (t) =>
        new Promise<void>((done) => {
          let finished = false;
          const resolve = (line?: string) => {
            if (finished) return;
            finished = true;
            if (line) write(line);
            done();
          };
          const preq = t.client.request(method, path, headers);
          preq.on('response', (pres) => {
            const failed = (pres.statusCode ?? 500) >= 300;
            let pending = '';
            pres.on('data', (d: Buffer) => {
              pending += d.toString('utf8');
              if (failed) return;
              const lines = pending.split('\n');
              pending = lines.pop() ?? '';
              for (const l of lines) if (l.trim() !== '') write(markMessage(l.trim(), t.name));
            });
            pres.on('end', () => {
              if (failed) resolve(errorLine(t.name, errorText(pending) || `HTTP ${pres.statusCode}`));
              else resolve(pending.trim() !== '' ? markMessage(pending.trim(), t.name) : undefined);
            });
            pres.on('error', (err) => resolve(errorLine(t.name, err.message)));
          });
          preq.on('error', (err) => resolve(errorLine(t.name, err.message)));
          if (withBody) req.pipe(preq);
          else preq.end();
        }),
    ),
  );
}
