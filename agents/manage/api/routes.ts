/** The route table, as data: method, path pattern (after the optional /vX.Y prefix), handler. Order matters. */
import * as system from './handlers/system.js';
import * as containers from './handlers/containers.js';
import * as images from './handlers/images.js';
import * as resources from './handlers/resources.js';
import * as build from './handlers/build.js';
import * as prune from './handlers/prune.js';
import { events } from './handlers/events.js';
import * as swarm from './handlers/swarm.js';
import * as services from './handlers/services.js';
import * as networks from './handlers/networks.js';
import type { Handler } from './context.js';

export interface Route {
  method: string | string[];
  path: RegExp;
  handle: Handler;
  /** May arrive as an HTTP upgrade (attach, exec start): the target is hijacked. */
  hijack?: 'container' | 'exec';
}

const C = '(.+?)';
const CONTAINER_OPS =
  'start|stop|restart|kill|pause|unpause|rename|update|wait|resize|logs|top|stats|changes|export|archive|attach|exec';

export const ROUTES: Route[] = [
  { method: ['GET', 'HEAD'], path: /^\/_ping$/, handle: system.ping },
  { method: 'GET', path: /^\/version$/, handle: system.version },
  { method: 'GET', path: /^\/info$/, handle: system.info },
  { method: 'GET', path: /^\/events$/, handle: events },
  { method: 'GET', path: /^\/containers\/json$/, handle: containers.list },
  { method: 'POST', path: /^\/containers\/create$/, handle: containers.create },
  { method: 'GET', path: new RegExp(`^/containers/${C}/json$`), handle: containers.inspect },
  {
    method: ['GET', 'POST', 'PUT', 'HEAD'],
    path: new RegExp(`^/containers/${C}(/(?:${CONTAINER_OPS}))$`),
    handle: containers.routed,
    hijack: 'container',
  },
  { method: 'DELETE', path: new RegExp(`^/containers/${C}()$`), handle: containers.routed },
  {
    method: ['GET', 'POST'],
    path: /^\/exec\/([^/]+)(\/(?:start|resize|json))$/,
    handle: containers.execRouted,
    hijack: 'exec',
  },
  { method: 'GET', path: /^\/images\/json$/, handle: images.list },
  { method: 'POST', path: /^\/images\/(?:create|load)$/, handle: images.fanoutImage },
  { method: 'GET', path: /^\/images\/get$/, handle: build.save },
  { method: 'GET', path: new RegExp(`^/images/${C}/get$`), handle: build.save },
  { method: 'POST', path: /^\/(containers|images|networks|volumes|build)\/prune$/, handle: prune.prune },
  { method: 'GET', path: /^\/system\/df$/, handle: prune.df },
  { method: 'POST', path: /^\/build$/, handle: build.build },
  { method: 'POST', path: /^\/commit$/, handle: build.commit },
  { method: 'GET', path: /^\/images\/search$/, handle: images.anyNode },
  { method: 'POST', path: /^\/auth$/, handle: images.anyNode },
  { method: 'GET', path: new RegExp(`^/images/${C}/(json|history)$`), handle: images.inspect },
  { method: 'POST', path: new RegExp(`^/images/${C}/push$`), handle: images.push },
  { method: 'POST', path: new RegExp(`^/images/${C}(/tag)$`), handle: images.onHolders },
  { method: 'DELETE', path: new RegExp(`^/images/${C}()$`), handle: images.onHolders },
  { method: 'GET', path: /^\/networks$/, handle: networks.list },
  { method: 'POST', path: /^\/networks\/create$/, handle: networks.create },
  { method: 'POST', path: /^\/networks\/(.+)\/(connect|disconnect)$/, handle: resources.connect },
  { method: ['GET', 'DELETE'], path: /^\/networks\/(.+)$/, handle: networks.one },
  { method: 'POST', path: /^\/swarm\/init$/, handle: swarm.init },
  { method: 'GET', path: /^\/swarm$/, handle: swarm.inspect },
  { method: 'POST', path: /^\/swarm\/update$/, handle: swarm.update },
  { method: 'POST', path: /^\/swarm\/leave$/, handle: swarm.leave },
  { method: 'GET', path: /^\/nodes$/, handle: swarm.nodes },
  { method: 'GET', path: /^\/nodes\/([^/]+)$/, handle: swarm.node },
  { method: 'POST', path: /^\/nodes\/([^/]+)\/update$/, handle: swarm.updateNode },
  { method: 'DELETE', path: /^\/nodes\/([^/]+)$/, handle: swarm.removeNode },
  { method: 'POST', path: /^\/shoal\/swarm\/join$/, handle: swarm.admit },
  { method: 'POST', path: /^\/services\/create$/, handle: services.create },
  { method: 'GET', path: /^\/services$/, handle: services.list },
  { method: 'GET', path: /^\/services\/([^/]+)$/, handle: services.inspect },
  { method: 'GET', path: /^\/services\/([^/]+)\/logs$/, handle: services.serviceLogs },
  { method: 'POST', path: /^\/services\/([^/]+)\/update$/, handle: services.update },
  { method: 'DELETE', path: /^\/services\/([^/]+)$/, handle: services.remove },
  { method: 'GET', path: /^\/tasks$/, handle: services.tasks },
  { method: 'GET', path: /^\/tasks\/([^/]+)$/, handle: services.task },
  { method: 'GET', path: /^\/tasks\/([^/]+)\/logs$/, handle: services.taskLogs },
  { method: 'GET', path: /^\/(?:secrets|configs)$/, handle: services.none },
  { method: 'POST', path: /^\/(secrets|configs)\/create$/, handle: services.noneCreate },
  { method: ['GET', 'DELETE'], path: /^\/(secrets|configs)\/([^/]+)$/, handle: services.noneOne },
  { method: 'GET', path: /^\/volumes$/, handle: resources.list('volumes') },
  { method: 'POST', path: /^\/volumes\/create$/, handle: resources.createVolume },
  { method: ['GET', 'DELETE'], path: /^\/volumes\/(.+)$/, handle: resources.one('volumes') },
];

/** Engine API areas a classic cluster manager does not serve: 501, naming the endpoint. */
export const UNSUPPORTED = /^\/(swarm|services|nodes|tasks|secrets|configs|plugins|session|distribution|grpc)(\/|$)/;

export function splitVersion(pathname: string): { prefix: string; path: string } {
  const m = /^(\/v\d+\.\d+)(\/.*)$/.exec(pathname);
  return m ? { prefix: m[1] as string, path: m[2] as string } : { prefix: '', path: pathname };
}

export function match(method: string, path: string): { route: Route; params: string[] } | undefined {
  for (const route of ROUTES) {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes(method)) continue;
    const m = route.path.exec(path);
    if (m) return { route, params: m.slice(1) };
  }
  return undefined;
}
