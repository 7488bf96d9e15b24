/** IM4: a create whose image no node has answers with the pull's failure, in classic Swarm's words (pure). */
import t from 'tap';
import { pullFailure } from '../../../agents/manage/cluster/create.js';

const HEX = '4e8aa3148a132f19ec560952231c4d39522043994df7d2dc239942c0f9424ebd';

t.test('a 64-hex repository is refused as classic Swarm refused it, before any pull', async (t) => {
  t.equal(
    pullFailure(HEX, 400, { message: 'whatever the engine says' }),
    `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`,
  );
});

t.test('an engine refusal is wrapped as the Go client wrapped it; a stream error is its own message', async (t) => {
  t.equal(
    pullFailure('nosuch/x', 500, { message: 'Get "https://registry-1.docker.io/v2/": no such host' }),
    'Error response from daemon: Get "https://registry-1.docker.io/v2/": no such host',
  );
  const stream = [
    JSON.stringify({ status: 'Pulling from nosuch/x' }),
    JSON.stringify({ errorDetail: { message: 'manifest unknown' }, error: 'manifest unknown' }),
  ].join('\n');
  t.equal(pullFailure('nosuch/x', 200, stream), 'manifest unknown');
  t.equal(pullFailure('busybox', 200, `${JSON.stringify({ status: 'Downloaded newer image' })}\n`), undefined);
  t.equal(pullFailure('busybox', 200, { status: 'Image is up to date' }), undefined);
});
