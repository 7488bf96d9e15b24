/** Classic Swarm's words for an engine that cannot be reached and for a container on an unhealthy node (RH2, RH6). */
import t from 'tap';
import {
  cannotConnect,
  engineFailure,
  isCannotConnect,
  refusedOnUnhealthy,
  unhealthyNodeMessage,
} from '../../../agents/manage/cluster/unreachable.js';
import { DockerRequestError, DockerUnavailableError } from '../../../agents/docker/errors.js';

const netError = (code: string, message = `connect ${code} 127.0.1.8:2375`) =>
  Object.assign(new Error(message), { code });
const ADDR = '127.0.1.8:2375';
const CLASSIC = 'Cannot connect to the Docker daemon at tcp://127.0.1.8:2375. Is the docker daemon running?';

t.test('the Docker client message, with tcp:// before the address', async (t) => {
  t.equal(cannotConnect(ADDR), CLASSIC);
});

t.test('which failures are "Cannot connect"', async (t) => {
  const cases: [string, unknown, boolean][] = [
    ['refused', new DockerUnavailableError(ADDR, 'connect ECONNREFUSED', netError('ECONNREFUSED')), true],
    ['connect timed out', new DockerUnavailableError(ADDR, 'x', netError('ETIMEDOUT')), true],
    ['no answer in time', new DockerUnavailableError(ADDR, 'x', new Error('no answer within 10000 ms')), true],
    [
      'no connection in time (a create has only a connect deadline)',
      new DockerUnavailableError(ADDR, 'x', new Error('no connection within 10000 ms')),
      true,
    ],
    ['a raw refused error (a request passed through)', netError('ECONNREFUSED'), true],
    ['reset mid-answer', new DockerUnavailableError(ADDR, 'x', netError('ECONNRESET')), false],
    ['no route to host', new DockerUnavailableError(ADDR, 'x', netError('EHOSTUNREACH')), false],
    ['the engine answered 500', new DockerRequestError(ADDR, 500, { message: 'boom' }), false],
    ['not an error', 'ECONNREFUSED', false],
    ['nothing', undefined, false],
  ];
  for (const [what, err, want] of cases) t.equal(isCannotConnect(err), want, what);
});

t.test('the message for an engine failure', async (t) => {
  const refused = new DockerUnavailableError(ADDR, 'connect ECONNREFUSED 127.0.1.8:2375', netError('ECONNREFUSED'));
  t.equal(engineFailure(ADDR, refused), CLASSIC);
  const reset = new DockerUnavailableError(ADDR, 'socket hang up', netError('ECONNRESET', 'socket hang up'));
  t.equal(engineFailure(ADDR, reset), 'engine 127.0.1.8:2375: socket hang up', "other failures keep shoal's words");
});

t.test('operations refused at once on an unhealthy node: all but start and rm', async (t) => {
  const cases: [string, string, boolean][] = [
    ['GET', '/json', true],
    ['GET', '/logs', true],
    ['POST', '/stop', true],
    ['POST', '/restart', true],
    ['POST', '/kill', true],
    ['POST', '/exec', true],
    ['GET', '/top', true],
    ['POST', '/rename', true],
    ['POST', '/attach', true],
    ['POST', '/start', false],
    ['DELETE', '', false],
  ];
  for (const [method, op, want] of cases) t.equal(refusedOnUnhealthy(method, op), want, `${method} ${op}`);
  t.equal(
    unhealthyNodeMessage('dockerhost08/c', 'dockerhost08'),
    'Container dockerhost08/c running on unhealthy node dockerhost08',
  );
});
