/**
 * A systemd notify socket for tests: a unix datagram socket bound by python3 (node cannot bind one) that
 * reports each message and the sender's pid, as systemd would receive them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const RECEIVER = `
import socket, struct, sys, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])
print("bound", flush=True)
while True:
    msg, anc, flags, addr = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = None
    for level, typ, data in anc:
        if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
            pid = struct.unpack("iII", data[:12])[0]
    if msg == b"BARRIER=1":  # systemd-notify's sync point: the fd it passed is closed by the kernel here
        continue
    print(json.dumps({"msg": msg.decode(), "pid": pid}), flush=True)
`;

export interface Received {
  msg: string;
  pid: number | null;
}

export function notifyReceiver(t: {
  teardown(fn: () => unknown): void;
}): Promise<{ socket: string; next: () => Promise<Received> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shoal-notify-'));
  const socket = path.join(dir, 'notify.sock');
  const child = spawn('python3', ['-c', RECEIVER, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  let buf = '';
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const nextLine = () =>
    new Promise<string>((resolve) => (lines.length ? resolve(lines.shift() as string) : waiters.push(resolve)));
  return nextLine().then((first) => {
    if (first !== 'bound' || !existsSync(socket)) throw new Error(`receiver did not start: ${first}`);
    return { socket, next: async () => JSON.parse(await nextLine()) as Received };
  });
}
