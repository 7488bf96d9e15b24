/** Names that go into keys: the image's base name, and the check that a token is safe to store. Pure. */

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
