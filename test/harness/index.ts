/** The test harness: real stores (services.ts) and real Docker engines (engines.ts). */
export * from './services.js';
export * from './engines.js';
export { busyboxTarball } from './busybox.js';
export { STATE_DIR, stateDir, waitFor, tcpOpen } from './proc.js';
