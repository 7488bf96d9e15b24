/**
 * Names that go into keys: the name a container is known by when no SERVICE_NAME says otherwise (its swarm
 * service, else its image's base name), and the check that a token is safe to store. Pure.
 */

/** The label swarm (and `shoal manage`) puts on every task container: the service it runs for. */
export const SWARM_SERVICE_LABEL = 'com.docker.swarm.service.name';

/**
 * The default service name: a swarm task's service name (so `web`'s tasks register as `web`, like a classic
 * `-e SERVICE_NAME=web` container), otherwise the image's base name. An explicit SERVICE_NAME or
 * SERVICE_<port>_NAME still wins; the caller applies those first.
 */
export function defaultServiceName(labels: Record<string, string>, image: string): string {
  const service = labels[SWARM_SERVICE_LABEL];
  return service !== undefined && service !== '' ? service : imageBaseName(image);
}

/** `registry:5000/team/nginx:1.25@sha256:...` -> `nginx`. */
export function imageBaseName(image: string): string {
  let s = image;
  const at = s.indexOf('@');
  if (at >= 0) s = s.slice(0, at);
  const slash = s.lastIndexOf('/');
  if (slash >= 0) s = s.slice(slash + 1);
  const colon = s.indexOf(':');
  if (colon >= 0) s = s.slice(0, colon);
  return s;
}

/**
 * Why a service name, id or tag cannot be stored, or undefined when it can: it becomes a key segment here
 * and a config-file token in the renderer, so `/`, whitespace, control characters, `{}`, `;`, quotes, `..`,
 * backslashes and `%` are refused (and the empty string).
 */
export function unsafeTokenReason(token: string): string | undefined {
  if (token === '') return 'empty';
  if (token.length > 200) return 'longer than 200 characters';
  if (token.includes('..')) return 'contains ".."';
  if (token === '.') return 'is "."';
  const bad = /[\/\s\u0000-\u001f\u007f-\u009f{};'"`\\%]/.exec(token);
  if (bad) return `contains ${JSON.stringify(bad[0])}`;
  return undefined;
}
