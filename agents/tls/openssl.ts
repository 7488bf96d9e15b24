/** The system `openssl`, run without a shell; failures become one-line ShoalErrors with openssl's reason. */
import { execa } from 'execa';
import { ShoalError } from '../common/errors.js';

export class TlsError extends ShoalError {
  constructor(message: string, cause?: unknown) {
    super('SHOAL_TLS_FAILED', message, { cause });
  }
}

export type KeyType = 'ec' | 'rsa';

export async function openssl(args: string[], input?: string): Promise<string> {
  let res;
  try {
    res = await execa('openssl', args, {
      ...(input === undefined ? {} : { input }),
      reject: false,
      stripFinalNewline: false,
      env: { OPENSSL_CONF: '/dev/null' },
    });
  } catch (err) {
    throw new TlsError(
      `openssl could not be run (is it installed?): ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  if (res.failed) {
    const reason =
      String(res.stderr)
        .split('\n')
        .find((l) => l.trim() !== '') ?? `exit ${res.exitCode}`;
    if (res.exitCode === undefined)
      throw new TlsError(`openssl could not be run (is it installed?): ${res.shortMessage}`);
    throw new TlsError(`openssl ${args[0]} failed: ${reason.trim()}`);
  }
  return String(res.stdout);
}

/** A new private key in PKCS#8 PEM, returned (never written by openssl, so we choose the file mode). */
export function generateKey(type: KeyType): Promise<string> {
  const args =
    type === 'ec'
      ? ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'];
  return openssl(args);
}
