/** Object IDs in Docker's swarm-mode form: 25 lowercase base-36 characters from 128 random bits. */
import { randomBytes } from 'node:crypto';

export const ID_LENGTH = 25;

/** Big-endian bytes as base 36, left-padded with zeros to `width`. Pure. */
export function base36(bytes: Buffer, width: number): string {
  const n = bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
  return n.toString(36).padStart(width, '0');
}

export function newId(random: (n: number) => Buffer = randomBytes): string {
  return base36(random(16), ID_LENGTH);
}

export function isId(s: string): boolean {
  return /^[0-9a-z]{25}$/.test(s);
}
