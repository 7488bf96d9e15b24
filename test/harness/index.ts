/** The test harness: real stores (services.ts), Docker engines (engines.ts) and proxies (proxies.ts). */
export * from './services.js';
export * from './engines.js';
export * from './proxies.js';
export { busyboxTarball } from './busybox.js';
export { registry, pushed, REGISTRY } from './registry.js';
export { STATE_DIR, stateDir, waitFor, tcpOpen, withLock } from './proc.js';
