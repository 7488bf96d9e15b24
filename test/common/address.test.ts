import t from 'tap';
import {
  formatHostPort,
  isHostname,
  parseHostPort,
  parseListenAddress,
  parsePort,
} from '../../agents/common/address.js';

t.test('parsePort', async (t) => {
  t.equal(parsePort('1'), 1);
  t.equal(parsePort('2375'), 2375);
  t.equal(parsePort('65535'), 65535);
  for (const bad of ['0', '65536', '', '-1', '80a', ' 80', '123456', '1.5'])
    t.throws(() => parsePort(bad), { message: 'expected a port number 1-65535' }, bad);
});

t.test('parseHostPort: names, IPv4, bracketed IPv6, default port', async (t) => {
  t.same(parseHostPort('10.0.0.1:2375'), { host: '10.0.0.1', port: 2375 });
  t.same(parseHostPort('consulhost01:8500'), { host: 'consulhost01', port: 8500 });
  t.same(parseHostPort(' node-1.example.com:80 '), { host: 'node-1.example.com', port: 80 });
  t.same(parseHostPort('[::1]:2375'), { host: '::1', port: 2375 });
  t.same(parseHostPort('[fd00:31:2::1]:80'), { host: 'fd00:31:2::1', port: 80 });
  t.same(parseHostPort('consulhost01', 8500), { host: 'consulhost01', port: 8500 });
  t.same(parseHostPort('[::1]', 2379), { host: '::1', port: 2379 });
  for (const bad of [
    'notanaddr',
    '10.0.0.1:',
    ':2375',
    '10.0.0.1:0',
    '10.0.0.1:99999',
    'a b:80',
    '[::1]',
    '::1:2375',
    'http://h:80',
    '-h:80',
  ]) {
    t.throws(() => parseHostPort(bad), { message: 'expected HOST:PORT' }, bad);
  }
  t.throws(() => parseHostPort('[::1]:0'), { message: 'expected a port number 1-65535' });
  t.throws(() => parseHostPort('bad host', 80), { message: 'expected HOST:PORT' });
});

t.test('isHostname', async (t) => {
  t.ok(isHostname('dockerhost01'));
  t.ok(isHostname('127.0.1.2'));
  t.notOk(isHostname(''));
  t.notOk(isHostname('.lead'));
  t.notOk(isHostname('a/b'));
});

t.test('formatHostPort brackets IPv6 only', async (t) => {
  t.equal(formatHostPort({ host: '10.0.0.1', port: 2375 }), '10.0.0.1:2375');
  t.equal(formatHostPort({ host: 'fd00::1', port: 80 }), '[fd00::1]:80');
  t.same(parseHostPort(formatHostPort({ host: 'fd00::1', port: 80 })), { host: 'fd00::1', port: 80 }, 'round trip');
});

t.test('parseListenAddress: Docker -H spellings', async (t) => {
  t.same(parseListenAddress('tcp://0.0.0.0:2376'), { kind: 'tcp', host: '0.0.0.0', port: 2376 });
  t.same(parseListenAddress('0.0.0.0:2375'), { kind: 'tcp', host: '0.0.0.0', port: 2375 });
  t.same(parseListenAddress(':4000'), { kind: 'tcp', host: '0.0.0.0', port: 4000 });
  t.same(parseListenAddress('tcp://127.0.0.1'), { kind: 'tcp', host: '127.0.0.1', port: 2375 }, 'default port 2375');
  t.same(parseListenAddress('127.0.0.1', 3375), { kind: 'tcp', host: '127.0.0.1', port: 3375 });
  t.same(parseListenAddress('tcp://[::1]:2375'), { kind: 'tcp', host: '::1', port: 2375 });
  t.same(parseListenAddress('unix:///var/run/shoal.sock'), { kind: 'unix', path: '/var/run/shoal.sock' });
  t.same(parseListenAddress('/run/shoal.sock'), { kind: 'unix', path: '/run/shoal.sock' });
  t.throws(() => parseListenAddress('unix://relative.sock'), { message: 'expected unix:///absolute/path' });
  t.throws(() => parseListenAddress('http://0.0.0.0:2375'), { message: 'expected tcp://HOST:PORT or unix:///path' });
  t.throws(() => parseListenAddress('tcp://0.0.0.0:70000'), { message: 'expected HOST:PORT' });
});
