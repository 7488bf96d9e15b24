/**
 * `shoal tls init|issue`: one-shot commands (not agents), so they use commander directly; bad input is a
 * ConfigError (one line, exit 2) like the agents' flags. What runs openssl (execa) is loaded only when a tls
 * command runs: every agent's process builds this command for its help, and must not carry execa's memory.
 */
import { Command, Option } from 'commander';
import { ConfigError } from '../common/errors.js';
import { certRequest, extendedKeyUsage, parseDays, subjectAltNames } from './extensions.js';
import type { KeyType } from './openssl.js';

export const DEFAULT_TLS_DIR = '/etc/shoal/tls';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function keyType(raw: string, scope: string): KeyType {
  if (raw !== 'ec' && raw !== 'rsa')
    throw new ConfigError(`${scope}: --key-type ${JSON.stringify(raw)}: expected ec or rsa`, 'keyType');
  return raw;
}

const dirOption = () =>
  new Option('--dir <DIR>', `directory of the CA and issued certificates (default: ${DEFAULT_TLS_DIR})`).env(
    'SHOAL_TLS_DIR',
  );
const keyTypeOption = () => new Option('--key-type <TYPE>', 'ec (P-256) or rsa (2048 bits)').default('ec');

export function tlsCommand(out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Command {
  const tls = new Command('tls').description(
    'Make a CA and issue certificates for mutual TLS between clients, managers and engines',
  );
  tls.helpOption('-h, --help', 'show this help');

  tls
    .command('init')
    .description('create a CA (ca.pem, ca-key.pem 0600) in --dir')
    .addOption(dirOption())
    .option('--cn <NAME>', 'common name of the CA', 'shoal CA')
    .option('--days <N>', 'validity in days', '3650')
    .addOption(keyTypeOption())
    .option('--force', 'replace an existing CA')
    .helpOption('-h, --help', 'show this help')
    .action(async (o: { dir?: string; cn: string; days: string; keyType: string; force?: boolean }) => {
      const scope = 'shoal tls init';
      if (!/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/.test(o.cn))
        throw new ConfigError(
          `${scope}: --cn ${JSON.stringify(o.cn)}: expected letters, digits, spaces, '.', '-' or '_'`,
          'cn',
        );
      const dir = o.dir ?? DEFAULT_TLS_DIR;
      const { initCa } = await import('./ca.js');
      const files = await initCa({
        dir,
        commonName: o.cn,
        days: parseDays(o.days, scope),
        keyType: keyType(o.keyType, scope),
        force: o.force === true,
      });
      out(`CA created: ${files.cert} (certificate), ${files.key} (key, 0600)`);
    });

  tls
    .command('issue')
    .description('issue a key (0600) and certificate signed by the CA into --dir/<name>/{cert,key,ca}.pem')
    .option('--name <NAME>', 'common name and folder, e.g. dockerhost01 (also a DNS SAN when it is a DNS name)')
    .option('--ip <IP>', 'IP address SAN (repeatable): every address clients use to reach a server', collect)
    .option('--dns <NAME>', 'DNS name SAN (repeatable)', collect)
    .option('--server', 'usable as a server certificate (extendedKeyUsage serverAuth)')
    .option('--client', 'usable as a client certificate (clientAuth); neither flag: both')
    .option('--days <N>', 'validity in days', '825')
    .addOption(dirOption())
    .addOption(keyTypeOption())
    .option('--force', 'replace an existing key and certificate of this name')
    .helpOption('-h, --help', 'show this help')
    .addHelpText(
      'after',
      '\nExamples:\n  shoal tls issue --name dockerhost01 --ip 10.0.0.1 --server\n  shoal tls issue --name manager --ip 10.0.0.5 --dns manager.example.com\n  shoal tls issue --name admin --client\n',
    )
    .action(
      async (o: {
        name?: string;
        ip?: string[];
        dns?: string[];
        server?: boolean;
        client?: boolean;
        days: string;
        dir?: string;
        keyType: string;
        force?: boolean;
      }) => {
        const req = certRequest({
          name: o.name,
          ips: o.ip ?? [],
          dns: o.dns ?? [],
          server: o.server === true,
          client: o.client === true,
          days: o.days,
        });
        if (req.server && req.ips.length === 0 && req.dns.length === 0) {
          throw new ConfigError(
            `shoal tls issue: a server certificate needs --ip or --dns (clients check the address they dial against the SANs)`,
            'ip',
          );
        }
        const dir = o.dir ?? DEFAULT_TLS_DIR;
        const { issueCert } = await import('./issue.js');
        const files = await issueCert(dir, req, {
          keyType: keyType(o.keyType, 'shoal tls issue'),
          force: o.force === true,
        });
        const san = subjectAltNames(req);
        out(
          `issued ${files.cert} (${extendedKeyUsage(req).join(', ')}${san.length ? `; ${san.join(', ')}` : ''}), key ${files.key} (0600), CA ${files.ca}`,
        );
      },
    );
  return tls;
}
