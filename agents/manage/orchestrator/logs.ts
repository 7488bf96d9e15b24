/**
 * `GET /services/{id}/logs` and `GET /tasks/{id}/logs`, the I/O shell: every task container of the selection,
 * on every engine, is read through that engine's own logs stream; each line gets swarm's details and all of
 * them go out as one stdcopy stream. With `follow` the answer stays open and task containers that appear later
 * (an engine's change event) are attached too, until the client goes. An engine that fails ends only its
 * tasks' part.
 */
import type http from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineNode } from '../cluster/node.js';
import {
  encodeFrame,
  engineLogsPath,
  formatDetails,
  logTargets,
  parseFrames,
  serviceLogLine,
  splitLines,
  type LogQuery,
  type LogSelector,
  type LogTarget,
  type StreamKind,
} from '../services/logs.js';

export function streamServiceLogs(cluster: Cluster, sel: LogSelector, q: LogQuery, res: http.ServerResponse): void {
  const seen = new Set<string>();
  const open = new Set<http.ClientRequest>();
  const engines = new Set<EngineNode>();
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    for (const e of engines) e.off('change', onChange);
    for (const r of open) r.destroy();
    res.end();
  };

  const maybeEnd = () => {
    if (!q.follow && open.size === 0) finish();
  };

  const attach = (engine: EngineNode, t: LogTarget, late: boolean) => {
    seen.add(t.containerId);
    const details = q.details ? formatDetails(t) : '';
    const req = engine.client.request('GET', engineLogsPath(t.containerId, q, late));
    open.add(req);
    const done = () => {
      if (!open.delete(req)) return;
      maybeEnd();
    };
    req.on('response', (pres) => {
      if (pres.statusCode !== 200) {
        pres.resume();
        pres.on('end', done);
        return;
      }
      let frameRest = Buffer.alloc(0);
      const pending: Record<StreamKind, Buffer> = { 1: Buffer.alloc(0), 2: Buffer.alloc(0) };
      const emit = (stream: StreamKind, line: Buffer) => {
        if (!closed) res.write(encodeFrame(stream, serviceLogLine(line, details, q.timestamps)));
      };
      pres.on('data', (chunk: Buffer) => {
        const { frames, rest } = parseFrames(frameRest.length ? Buffer.concat([frameRest, chunk]) : chunk);
        frameRest = Buffer.from(rest);
        for (const f of frames) {
          const { lines, rest: partial } = splitLines(pending[f.stream], f.payload);
          pending[f.stream] = partial;
          for (const l of lines) emit(f.stream, l);
        }
      });
      const flush = () => {
        for (const s of [1, 2] as const) if (pending[s].length) emit(s, pending[s]);
        pending[1] = pending[2] = Buffer.alloc(0);
        done();
      };
      pres.on('end', flush);
      pres.on('error', flush);
      pres.on('close', flush);
    });
    req.on('error', done);
    req.end();
  };

  const scan = (late: boolean) => {
    if (closed) return;
    for (const engine of cluster.nodes.values()) {
      if (q.follow && !engines.has(engine)) {
        engines.add(engine);
        engine.on('change', onChange);
      }
      for (const t of logTargets(engine.summaries(), sel)) if (!seen.has(t.containerId)) attach(engine, t, late);
    }
  };

  function onChange() {
    scan(true);
  }

  res.on('close', finish);
  res.writeHead(200, {});
  res.flushHeaders();
  scan(false);
  maybeEnd();
}
