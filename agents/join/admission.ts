/**
 * `shoal join --token`: ask the manager to admit this host (`POST /shoal/swarm/join`) before the first
 * heartbeat. A 4xx is a refusal that retrying cannot fix (a wrong or rotated token, a bad field): one line,
 * exit 2. A manager that does not answer, or answers 5xx, is retried with backoff until it does.
 */
import http from 'node:http';
import https from 'node:https';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../common/log.js';
import { formatHostPort } from '../common/address.js';
import { ShoalError, errorMessage } from '../common/errors.js';
import { retry } from '../common/retry.js';
import { checkAnswer, type Admitted } from './admitted.js';
import type { JoinAdmission } from './config.js';

export const ADMISSION_PATH = '/shoal/swarm/join';

/** The manager said no, or cannot be trusted: exit 2. */
export class AdmissionRefusedError extends ShoalError {
  constructor(message: string) {
    super('SHOAL_JOIN_REFUSED', message, { exitCode: 2 });
  }
}

/** The manager did not answer (yet): retried. */
export class ManagerUnavailableError extends ShoalError {
  constructor(message: string, cause?: unknown) {
    super('SHOAL_JOIN_MANAGER_UNAVAILABLE', message, { recoverable: true, cause });
  }
}

const TLS_TRUST = /CERT|SIGNATURE|ALTNAME|SELF_SIGNED|ERR_SSL|EPROTO/;

interface Reply {
  status: number;
  text: string;
}

async function tlsOptions(a: JoinAdmission): Promise<https.RequestOptions | undefined> {
  if (a.managerCa === undefined) return undefined;
  const read = (f: string) => readFile(f, 'utf8');
  return {
    ca: await read(a.managerCa),
    ...(a.managerCert && a.managerKey ? { cert: await read(a.managerCert), key: await read(a.managerKey) } : {}),
  };
}

function post(a: JoinAdmission, tls: https.RequestOptions | undefined, body: string, ms: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const opts = {
      host: a.manager.host.replace(/^\[|\]$/g, ''),
      port: a.manager.port,
      path: ADMISSION_PATH,
      method: 'POST',
      timeout: ms,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    };
    const req = tls ? https.request({ ...opts, ...tls }) : http.request(opts);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${ms} ms`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}

function messageOf(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: the text itself
  }
  return text.trim().slice(0, 300) || '(empty answer)';
}

/** One attempt: the answer, or a typed error saying whether another attempt can help. */
export async function askOnce(a: JoinAdmission, addr: string, csr: string | undefined, ms = 10_000): Promise<Admitted> {
  const where = formatHostPort(a.manager);
  const tls = await tlsOptions(a).catch((err: unknown) => {
    throw new AdmissionRefusedError(`shoal join: cannot read the manager TLS files: ${errorMessage(err)}`);
  });
  const body = JSON.stringify({ Token: a.token, Addr: addr, ...(csr ? { CSR: csr } : {}) });
  let reply: Reply;
  try {
    reply = await post(a, tls, body, ms);
  } catch (err) {
    const code = String((err as NodeJS.ErrnoException).code ?? '');
    if (TLS_TRUST.test(code))
      throw new AdmissionRefusedError(`shoal join: the manager at ${where} is not trusted: ${errorMessage(err)}`);
    throw new ManagerUnavailableError(`manager ${where} did not answer: ${errorMessage(err)}`, err);
  }
  if (reply.status >= 500 || reply.status === 0)
    throw new ManagerUnavailableError(`manager ${where} answered ${reply.status}: ${messageOf(reply.text)}`);
  if (reply.status !== 200)
    throw new AdmissionRefusedError(`shoal join: the manager at ${where} refused admission: ${messageOf(reply.text)}`);
  return checkAnswer(reply.text, a.token, (m) => new AdmissionRefusedError(`shoal join: manager ${where}: ${m}`));
}

/** Ask until the manager answers (with backoff) or refuses; the signal ends the wait. */
export function requestAdmission(
  a: JoinAdmission,
  addr: string,
  csr: string | undefined,
  opts: { signal: AbortSignal; log: Logger },
): Promise<Admitted> {
  const what = `admission by manager ${formatHostPort(a.manager)}`;
  return retry(() => askOnce(a, addr, csr), { ...opts, what, initialMs: 500, maxMs: 10_000 });
}
