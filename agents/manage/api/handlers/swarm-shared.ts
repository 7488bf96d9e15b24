/** What the swarm-mode handlers (/swarm, /nodes, /services, /tasks) share: the no-store answer and path refs. */
import { ApiError } from '../http.js';
import type { Ctx } from '../context.js';
import { splitVersion } from '../routes.js';

/** Swarm mode keeps its state in the store: without a store discovery its endpoints answer 501. */
export function noStore(ctx: Ctx): never {
  ctx.req.resume();
  const { path } = splitVersion(ctx.url.pathname);
  throw new ApiError(
    501,
    `shoal manage: ${ctx.req.method} ${path} is not supported by a cluster manager without a store discovery (swarm mode keeps its state in consul://, etcd://, etcd2:// or zk://)`,
  );
}

/** The path's `{ref}`, decoded; a malformed escape is a 400 naming what it refers to. */
export function pathRef(ctx: Ctx, what: string): string {
  try {
    return decodeURIComponent(ctx.params[0] as string);
  } catch {
    throw new ApiError(400, `invalid ${what}: malformed percent-encoding`);
  }
}
