/**
 * `GET /services/{id}/logs` and `GET /tasks/{id}/logs`, the I/O shell: every task container of the selection,
 * on every engine, is read through that engine's own logs stream; each line gets swarm's details and all of
 * them go out as one stdcopy stream. With `follow` the answer stays open and task containers that appear later
 * (an engine's change event) are attached too, until the client goes. An engine that fails ends only its
 * tasks' part.
 *
 * Backpressure: when the client's response cannot take more (`write` returns false) every engine stream is
 * paused until it drains, so a slow reader holds the engines back instead of growing the manager's buffers.
 * TTY: a task container with a terminal logs raw bytes (no stdcopy frames), which are split into lines as
 * they are; a service whose spec asks for a TTY is answered raw too (the CLI copies it unmodified).
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

/** A live logs answer as the metrics and tests see it. */
export interface LogStreamStats {
  /** The engine streams are paused, waiting for the client to drain. */
  paused: boolean;
  /** The most bytes the response ever held unsent. */
  maxBuffered: number;
  /** Bytes read from the engines so far. */
  received: number;
}

/** The logs answers in progress. */
export const logStreams = new Set<LogStreamStats>();

export interface LogStreamOptions {
  /** The service's tasks run with a TTY: the answer is raw, not stdcopy frames. */
  tty?: boolean;
}

export function streamServiceLogs(
  cluster: Cluster,
  sel: LogSelector,
  q: LogQuery,
  res: http.ServerResponse,
  opts: LogStreamOptions = {},
): void {
  const seen = new Set<string>();
  const open = new Set<http.ClientRequest>();
  const engines = new Set<EngineNode>();
  const sources = new Set<http.IncomingMessage>();
  const stats: LogStreamStats = { paused: false, maxBuffered: 0, received: 0 };
  logStreams.add(stats);
  let closed = false;

  const finish = () => {
    if (closed) return;
    closed = true;
    logStreams.delete(stats);
    for (const e of engines) e.off('change', onChange);
    for (const r of open) r.destroy();
    res.end();
  };

  /** One line out; when the response is full, every engine stream waits for its drain. */
  const write = (stream: StreamKind, line: Buffer, details: string) => {
    if (closed) return;
    const text = serviceLogLine(line, details, q.timestamps);
    const ok = res.write(opts.tty ? text : encodeFrame(stream, text));
    stats.maxBuffered = Math.max(stats.maxBuffered, res.writableLength);
    if (!ok && !stats.paused) {
      stats.paused = true;
      for (const s of sources) s.pause();
    }
  };
  res.on('drain', () => {
    stats.paused = false;
    for (const s of sources) s.resume();
  });

  const maybeEnd = () => {
    if (!q.follow && open.size === 0 && probing.size === 0) finish();
  };

  const attach = (engine: EngineNode, t: LogTarget, late: boolean, tty: boolean) => {
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
      sources.add(pres);
      if (stats.paused) pres.pause();
      const lines = engineLines(tty, (stream, line) => write(stream, line, details));
      pres.on('data', (chunk: Buffer) => {
        stats.received += chunk.length;
        lines.push(chunk);
      });
      const flush = () => {
        sources.delete(pres);
        lines.end();
        done();
      };
      pres.on('end', flush);
      pres.on('error', flush);
      pres.on('close', flush);
    });
    req.on('error', done);
    req.end();
  };

  /** Attaches once the container's TTY is known (a container gone meanwhile is skipped). */
  const attachTarget = (engine: EngineNode, t: LogTarget, late: boolean) => {
    seen.add(t.containerId);
    const pending = { done: false };
    const probe = engine.client.inspectContainer(t.containerId).then(
      (c) => c?.Config?.Tty === true,
      () => false,
    );
    probing.add(pending);
    void probe.then((tty) => {
      probing.delete(pending);
      if (!closed) attach(engine, t, late, tty);
      else maybeEnd();
    });
  };
  const probing = new Set<object>();

  const scan = (late: boolean) => {
    if (closed) return;
    for (const engine of cluster.nodes.values()) {
      if (q.follow && !engines.has(engine)) {
        engines.add(engine);
        engine.on('change', onChange);
      }
      for (const t of logTargets(engine.summaries(), sel)) if (!seen.has(t.containerId)) attachTarget(engine, t, late);
    }
  };

  function onChange() {
    scan(true);
  }

  res.on('close', finish);
  res.on('error', finish);
  res.writeHead(200, {});
  res.flushHeaders();
  scan(false);
  maybeEnd();
}

/**
 * The lines of one engine logs stream: stdcopy frames demultiplexed per stream, or (a TTY container) raw
 * bytes as stdout. `end` gives the last lines without their newline.
 */
function engineLines(tty: boolean, emit: (stream: StreamKind, line: Buffer) => void) {
  let frameRest = Buffer.alloc(0);
  const pending: Record<StreamKind, Buffer> = { 1: Buffer.alloc(0), 2: Buffer.alloc(0) };
  const cut = (stream: StreamKind, payload: Buffer) => {
    const { lines, rest } = splitLines(pending[stream], payload);
    pending[stream] = rest;
    for (const l of lines) emit(stream, l);
  };
  return {
    push(chunk: Buffer) {
      if (tty) return cut(1, chunk);
      const { frames, rest } = parseFrames(frameRest.length ? Buffer.concat([frameRest, chunk]) : chunk);
      frameRest = Buffer.from(rest);
      for (const f of frames) cut(f.stream, f.payload);
    },
    end() {
      for (const s of [1, 2] as const) if (pending[s].length) emit(s, pending[s]);
      pending[1] = pending[2] = Buffer.alloc(0);
    },
  };
}
