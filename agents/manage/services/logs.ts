/**
 * `docker service logs` as swarm answers it, the pure parts: the engine's stdcopy frames read and written
 * (8-byte header: stream, 0, 0, 0, length as uint32 BE), whole lines cut out of them per stream, each line given
 * the `com.docker.swarm.*` details the CLI needs for its `web.1.<task>@<node> |` prefix, and which task
 * containers of an engine listing belong to the service or task asked for.
 */
import { identityFromLabels, LABEL } from './names.js';

export type StreamKind = 1 | 2;

export interface Frame {
  stream: StreamKind;
  payload: Buffer;
}

/** Frames complete in `buf`, and the bytes of a frame not complete yet. Stdin (0) frames are dropped. */
export function parseFrames(buf: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  while (buf.length - at >= 8) {
    const len = buf.readUInt32BE(at + 4);
    if (buf.length - at - 8 < len) break;
    const kind = buf[at];
    if (kind === 1 || kind === 2) frames.push({ stream: kind, payload: buf.subarray(at + 8, at + 8 + len) });
    at += 8 + len;
  }
  return { frames, rest: buf.subarray(at) };
}

export function encodeFrame(stream: StreamKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** Whole lines (without their `\n`) of `pending + chunk`, and what is left after the last newline. */
export function splitLines(pending: Buffer, chunk: Buffer): { lines: Buffer[]; rest: Buffer } {
  const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
  const lines: Buffer[] = [];
  let from = 0;
  for (let nl = buf.indexOf(10, from); nl >= 0; nl = buf.indexOf(10, from)) {
    lines.push(buf.subarray(from, nl));
    from = nl + 1;
  }
  return { lines, rest: Buffer.from(buf.subarray(from)) };
}

export interface LogTarget {
  containerId: string;
  nodeId: string;
  serviceId: string;
  taskId: string;
}

/** The details swarm puts before each line: URL-encoded `k=v` pairs, sorted by key, joined by `,`. */
export function formatDetails(t: LogTarget): string {
  const pairs: [string, string][] = [
    [LABEL.nodeId, t.nodeId],
    [LABEL.serviceId, t.serviceId],
    [LABEL.taskId, t.taskId],
  ];
  return pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join(',');
}

/**
 * One engine line as the service-logs line: `<details> <message>\n`; with timestamps the engine's line starts
 * with `<RFC3339Nano> `, and swarm keeps that first: `<ts> <details> <message>\n`. `details` '' adds nothing.
 */
export function serviceLogLine(line: Buffer, details: string, timestamps: boolean): Buffer {
  if (details === '') return Buffer.concat([line, Buffer.from('\n')]);
  let ts = '';
  let msg = line;
  if (timestamps) {
    const sp = line.indexOf(32);
    if (sp > 0) {
      ts = `${line.subarray(0, sp).toString()} `;
      msg = line.subarray(sp + 1);
    }
  }
  return Buffer.concat([Buffer.from(`${ts}${details} `), msg, Buffer.from('\n')]);
}

export type LogSelector = { serviceId: string } | { taskId: string };

/**
 * The task containers of a listing (`Id`, `Labels`, `State`) that belong to the service or the task selected;
 * a container not started yet is left for later (its logs stream would end at once).
 */
export function logTargets(
  listing: readonly { Id: string; Labels?: Record<string, string> | null; State?: string }[],
  sel: LogSelector,
): LogTarget[] {
  const out: LogTarget[] = [];
  for (const c of listing) {
    const id = identityFromLabels(c.Labels ?? {});
    if (!id || c.State === 'created') continue;
    if ('serviceId' in sel ? id.serviceId !== sel.serviceId : id.taskId !== sel.taskId) continue;
    out.push({ containerId: c.Id, nodeId: id.nodeId, serviceId: id.serviceId, taskId: id.taskId });
  }
  return out;
}

const TAIL = /^(all|\d{1,9})$/;

export interface LogQuery {
  stdout: boolean;
  stderr: boolean;
  follow: boolean;
  timestamps: boolean;
  details: boolean;
  tail: string;
  since: string;
}

const truthy = (v: string | null) => v !== null && v !== '' && v !== '0' && v !== 'false';

/** The query of `GET /services/{id}/logs`; a bad `tail` is refused naming it. */
export function parseLogQuery(q: URLSearchParams): LogQuery | { error: string } {
  const tail = q.get('tail') ?? 'all';
  if (!TAIL.test(tail)) return { error: `invalid value for "tail": ${JSON.stringify(tail)}` };
  const since = q.get('since') ?? '';
  if (!/^[0-9.]*$/.test(since)) return { error: `invalid value for "since": ${JSON.stringify(since)}` };
  const out: LogQuery = {
    stdout: truthy(q.get('stdout')),
    stderr: truthy(q.get('stderr')),
    follow: truthy(q.get('follow')),
    timestamps: truthy(q.get('timestamps')),
    details: truthy(q.get('details')),
    tail,
    since,
  };
  if (!out.stdout && !out.stderr) return { error: 'Bad parameters: you must choose at least one stream' };
  return out;
}

/** The engine's `/containers/{id}/logs` path for one task container; `late` ones (found while following) in full. */
export function engineLogsPath(containerId: string, q: LogQuery, late: boolean): string {
  const p = new URLSearchParams();
  if (q.stdout) p.set('stdout', '1');
  if (q.stderr) p.set('stderr', '1');
  if (q.follow) p.set('follow', '1');
  if (q.timestamps) p.set('timestamps', '1');
  if (q.since) p.set('since', q.since);
  p.set('tail', late ? 'all' : q.tail);
  return `/containers/${encodeURIComponent(containerId)}/logs?${p.toString()}`;
}
