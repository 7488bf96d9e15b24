/**
 * A TCP listener on loopback that pipes every connection to a unix socket: how the manager (which dials
 * HOST:PORT) reaches a local engine that only listens on /var/run/docker.sock. Byte-for-byte, so upgraded
 * connections (attach, exec) work too. Run by `shoal up` as a child (`shoal up-forward`).
 */
import net from 'node:net';

export function forward(listen: { host: string; port: number }, socketPath: string): Promise<net.Server> {
  const server = net.createServer((client) => {
    const upstream = net.connect({ path: socketPath });
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve(server));
  });
}
