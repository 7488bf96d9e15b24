/** `TaskTemplate.ContainerSpec` at the edge: image, command/args, env, labels, mounts, init, healthcheck. */
import { SpecError } from './errors.js';
import { arr, bool, duration, int, need, obj, oneOf, str, strMap, strings, type Raw } from './read.js';
import type { ContainerSpec, Healthcheck, Mount } from './types.js';

const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/;
const ENV_KEY = /^[^=\s]+$/;
const SIGNAL = /^(SIG)?[A-Z0-9+\-]{1,16}$|^[0-9]{1,2}$/;

export function parseImage(v: Raw, path: string): string {
  const image = need(str(v, path, { max: 1024 }), path);
  if (!IMAGE.test(image)) throw new SpecError(path, `${JSON.stringify(image)} is not a valid image reference`);
  return image;
}

function parseEnv(v: Raw, path: string): string[] {
  return (strings(v, path, { control: true }) ?? []).map((e, i) => {
    const key = e.split('=', 1)[0]!;
    if (!ENV_KEY.test(key))
      throw new SpecError(`${path}[${i}]`, `${JSON.stringify(e.slice(0, 64))}: invalid variable name`);
    return e;
  });
}

const MOUNT_TYPES = ['bind', 'volume', 'tmpfs', 'npipe', 'cluster'] as const;

function parseMount(v: Raw, path: string): Mount {
  const o = need(obj(v, path), path);
  const type = need(oneOf(o.Type, `${path}.Type`, MOUNT_TYPES), `${path}.Type`);
  const target = need(str(o.Target, `${path}.Target`, { max: 4096 }), `${path}.Target`);
  if (!target.startsWith('/')) throw new SpecError(`${path}.Target`, 'must be an absolute path');
  const source = str(o.Source, `${path}.Source`, { max: 4096 });
  if (type === 'bind' && !source?.startsWith('/'))
    throw new SpecError(`${path}.Source`, 'a bind mount needs an absolute source path');
  if (type === 'tmpfs' && source) throw new SpecError(`${path}.Source`, 'a tmpfs mount takes no source');
  const m: Mount = { Type: type, Target: target };
  if (source) m.Source = source;
  const ro = bool(o.ReadOnly, `${path}.ReadOnly`);
  if (ro !== undefined) m.ReadOnly = ro;
  for (const k of ['BindOptions', 'VolumeOptions', 'TmpfsOptions', 'Consistency'] as const) {
    if (o[k] === undefined || o[k] === null) continue;
    if (k === 'Consistency') str(o[k], `${path}.${k}`);
    else obj(o[k], `${path}.${k}`);
    m[k] = o[k];
  }
  return m;
}

function parseHealthcheck(v: Raw, path: string): Healthcheck | undefined {
  const o = obj(v, path);
  if (o === undefined) return undefined;
  const test = strings(o.Test, `${path}.Test`, { control: true }) ?? [];
  if (test.length > 0 && !['NONE', 'CMD', 'CMD-SHELL'].includes(test[0]!))
    throw new SpecError(`${path}.Test[0]`, 'must be NONE, CMD or CMD-SHELL');
  if ((test[0] === 'CMD' || test[0] === 'CMD-SHELL') && test.length < 2)
    throw new SpecError(`${path}.Test`, `${test[0]} needs a command`);
  const h: Healthcheck = { Test: test };
  for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'] as const) {
    const d = duration(o[k], `${path}.${k}`);
    if (d !== undefined && d !== 0 && d < 1e6) throw new SpecError(`${path}.${k}`, 'must be at least 1ms');
    if (d !== undefined) h[k] = d;
  }
  const retries = int(o.Retries, `${path}.Retries`, 0, 1_000_000);
  if (retries !== undefined) h.Retries = retries;
  return h;
}

export function parseContainerSpec(v: Raw, path: string): ContainerSpec {
  const o = obj(v, path);
  if (o === undefined) throw new SpecError(path, 'is required');
  const spec: ContainerSpec = {
    Image: parseImage(o.Image, `${path}.Image`),
    Env: parseEnv(o.Env, `${path}.Env`),
    Labels: strMap(o.Labels, `${path}.Labels`),
    Mounts: (arr(o.Mounts, `${path}.Mounts`) ?? []).map((m, i) => parseMount(m, `${path}.Mounts[${i}]`)),
  };
  const command = strings(o.Command, `${path}.Command`, { control: true });
  if (command?.length) spec.Command = command;
  const args = strings(o.Args, `${path}.Args`, { control: true });
  if (args?.length) spec.Args = args;
  const init = bool(o.Init, `${path}.Init`);
  if (init !== undefined) spec.Init = init;
  if (bool(o.TTY, `${path}.TTY`)) spec.TTY = true;
  const hc = parseHealthcheck(o.Healthcheck, `${path}.Healthcheck`);
  if (hc) spec.Healthcheck = hc;
  for (const k of ['Dir', 'User', 'Hostname'] as const) {
    const s = str(o[k], `${path}.${k}`, { max: 4096 });
    if (s) spec[k] = s;
  }
  // Templates ({{.Node.Hostname}}, {{.Task.Slot}}, ...) stand for a name part.
  const shape = spec.Hostname?.replace(/\{\{\s*\.[A-Za-z.]+\s*\}\}/g, 'x');
  if (shape !== undefined && !/^[A-Za-z0-9][A-Za-z0-9.\-_]*$/.test(shape))
    throw new SpecError(`${path}.Hostname`, `${JSON.stringify(spec.Hostname)} is not a valid hostname`);
  const signal = str(o.StopSignal, `${path}.StopSignal`, { max: 32 });
  if (signal) {
    if (!SIGNAL.test(signal)) throw new SpecError(`${path}.StopSignal`, `${JSON.stringify(signal)} is not a signal`);
    spec.StopSignal = signal;
  }
  const grace = duration(o.StopGracePeriod, `${path}.StopGracePeriod`);
  if (grace !== undefined) spec.StopGracePeriod = grace;
  return spec;
}
