/** Small HTTP helpers for the API: Docker-style JSON errors, bounded JSON bodies. */
import type http from 'node:http';
import { ShoalError } from '../../common/errors.js';

export class ApiError extends ShoalError {
  readonly status: number;
  constructor(status: number, message: string) {
    super('SHOAL_MANAGE_API', message);
    this.status = status;
  }
}

export function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: http.OutgoingHttpHeaders = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: http.ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message });
}

const LIMIT = 16 * 1024 * 1024;

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > LIMIT) {
        reject(new ApiError(413, 'request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The body as JSON; an empty body is `undefined`; malformed JSON is a 400. */
export async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const buf = await readBody(req);
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, `malformed JSON body: ${(err as Error).message}`);
  }
}

/** Docker `filters` query parameter: `{"key":["v"]}` or the old `{"key":{"v":true}}`. */
export function parseFilters(raw: string | null): Record<string, string[]> {
  if (!raw) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'invalid filters: expected JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw new ApiError(400, 'invalid filters: expected an object');
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out[k] = v.map(String);
    else if (typeof v === 'object' && v !== null) out[k] = Object.keys(v);
  }
  return out;
}
