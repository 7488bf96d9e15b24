/** Lists over nodes: the manager's node filter, relayed refusals, the union of an image's tags. */
import t from 'tap';
import { listRefusal, mergeImages, nodeScoped, nodeSelected } from '../../../agents/manage/api/listing.js';

t.test('node= is taken out of the filters the engines get', async (t) => {
  const filters = JSON.stringify({ node: ['dockerhost01'], type: ['custom'] });
  t.same(nodeScoped(new URLSearchParams({ filters })), {
    nodes: ['dockerhost01'],
    query: `?filters=${encodeURIComponent('{"type":["custom"]}')}`,
  });
  t.same(nodeScoped(new URLSearchParams({ filters: '{"node":["n"]}', all: '1' })), { nodes: ['n'], query: '?all=1' });
  t.same(nodeScoped(new URLSearchParams()), { nodes: [], query: '' });
  const n1 = { name: 'dockerhost01', id: 'ABCD', addr: '127.0.1.1:2375' };
  t.ok(nodeSelected([], n1));
  t.ok(nodeSelected(['dockerhost01'], n1));
  t.ok(nodeSelected(['127.0.1.1:2375'], n1));
  t.notOk(nodeSelected(['dockerhost02'], n1));
});

t.test('a refusal is relayed only when no node answered', async (t) => {
  const bad = { status: 400, body: { message: "invalid filter: 'type'='foo'" } };
  t.same(listRefusal([bad, { status: 500, body: { message: 'x' } }]), bad);
  t.equal(listRefusal([bad, { status: 200, body: [] }]), undefined);
  t.equal(listRefusal([]), undefined);
});

t.test('an image on several nodes: one entry, the union of tags and digests', async (t) => {
  const merged = mergeImages([
    [
      { Id: 'sha256:a', RepoTags: ['busybox:latest', 'test1:latest'], RepoDigests: [] },
      { Id: 'sha256:b', RepoTags: ['x:1'] },
    ],
    [{ Id: 'sha256:a', RepoTags: ['busybox:latest', 'test2:latest'], RepoDigests: ['busybox@sha256:d'] }],
  ]);
  t.same(merged, [
    { Id: 'sha256:a', RepoTags: ['busybox:latest', 'test1:latest', 'test2:latest'], RepoDigests: ['busybox@sha256:d'] },
    { Id: 'sha256:b', RepoTags: ['x:1'] },
  ]);
});
