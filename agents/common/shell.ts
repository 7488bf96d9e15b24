/** Quoting for /bin/sh command lines. Pure. */

/** One single-quoted word that the shell reads back as exactly `s`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
