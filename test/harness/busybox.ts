/**
 * The harness's `shoal/busybox:latest`: the image `shoal up` builds (agents/up/image.ts), its tarball kept in the
 * harness state dir and imported on an engine that lacks it.
 */
import { busyboxTarball as buildTarball, DEMO_IMAGE, ensureImage } from '../../agents/up/image.js';
import { stateDir } from './proc.js';

export const BUSYBOX_IMAGE = DEMO_IMAGE;

/** The image's root filesystem as a tarball, made once for every test file. */
export async function busyboxTarball(): Promise<string> {
  const tar = await buildTarball(stateDir('busybox'));
  if (!tar) throw new Error('a static busybox not found: install busybox-static (.ci/install.sh)');
  return tar;
}

/** Ensure the image exists on the engine at `dockerHost` (imported from the tarball). */
export async function busyboxImage(e: { dockerHost: string }): Promise<string> {
  await ensureImage(e.dockerHost, await busyboxTarball(), stateDir('docker-cli'));
  return BUSYBOX_IMAGE;
}
