#!/usr/bin/env node
/**
 * `shoal`: one binary, one subcommand per agent. Parses and validates the agent's options once, builds its
 * logger, wires SIGTERM/SIGINT to a shutdown signal, and maps errors to exit codes (2: bad input).
 */
import os from 'node:os';
import { Command, CommanderError } from 'commander';
import { buildCommand, type ParsedArgs } from './config/command.js';
import { normalizeArgv } from './config/argv.js';
import { loadConfig } from './config/load.js';
import type { AgentSpec } from './config/spec.js';
import type { LogConfig } from './config/common.js';
import { createLogger } from './common/log.js';
import { notifier } from './common/notify.js';
import { ShoalError } from './common/errors.js';
import type { AgentMain } from './common/agent.js';
import { VERSION } from './version.js';
import { joinSpec } from './join/config.js';
import { registratorSpec } from './registrator/config.js';
import { renderSpec } from './render/config.js';
import { manageSpec } from './manage/config.js';

interface AgentEntry<T extends LogConfig> {
  spec: AgentSpec<T>;
  main: () => Promise<AgentMain<T>>;
}

function entry<T extends LogConfig>(spec: AgentSpec<T>, main: () => Promise<AgentMain<T>>) {
  const agent: AgentEntry<T> = { spec, main };
  return { spec: spec as AgentSpec<unknown>, add: (program: Command) => addAgent(program, agent) };
}

/** Each entry registers its subcommand; `specs` is for argv normalisation before commander runs. */
const AGENTS: { spec: AgentSpec<unknown>; add: (program: Command) => void }[] = [
  entry(registratorSpec, async () => (await import('./registrator/main.js')).main),
  entry(joinSpec, async () => (await import('./join/main.js')).main),
  entry(renderSpec, async () => (await import('./render/main.js')).main),
  entry(manageSpec, async () => (await import('./manage/main.js')).main),
];

/** Commands that are not long-running agents, loaded only when the command line is not an agent's. */
async function tools(): Promise<Command[]> {
  const [{ tlsCommand }, { upCommands }] = await Promise.all([import('./tls/command.js'), import('./up/command.js')]);
  return [tlsCommand(), ...upCommands()];
}

function quietAll(cmd: Command, quiet: { writeErr: () => void; outputError: () => void }): void {
  cmd.exitOverride().configureOutput(quiet);
  for (const c of cmd.commands) quietAll(c, quiet);
}

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

async function runAgent<T extends LogConfig>(agent: AgentEntry<T>, args: ParsedArgs): Promise<void> {
  const { config } = loadConfig(agent.spec, { ...args, env: process.env });
  const log = createLogger({
    agent: agent.spec.name,
    level: config.logLevel,
    ...(config.logFormat === 'auto' ? {} : { pretty: config.logFormat === 'pretty' }),
  });
  const ac = new AbortController();
  const notify = notifier({ log });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(130);
    }
    log.info({ signal: sig }, 'shutting down');
    // STOPPING=1 first (immediate without NOTIFY_SOCKET; systemd-notify has a 5 s timeout), then shut down
    void notify.stopping().finally(() => ac.abort(new Error(`received ${sig}`)));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const main = await agent.main();
  const rereadConfig = () => loadConfig(agent.spec, { ...args, env: process.env }).config;
  const code = await main(config, { log, signal: ac.signal, env: process.env, rereadConfig, notify });
  log.flush?.();
  process.exitCode = code;
}

function addAgent<T extends LogConfig>(program: Command, agent: AgentEntry<T>): void {
  program.addCommand(buildCommand(agent.spec, (args) => runAgent(agent, args)));
}

export function buildProgram(toolCommands: readonly Command[] = []): Command {
  const program = new Command('shoal')
    .description('Docker hosts as one cluster: service registration, discovery, edge routing and scheduling')
    .version(VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError(false);
  for (const agent of AGENTS) agent.add(program);
  // one-shot tools (not agents): their own commander commands
  for (const tool of toolCommands) program.addCommand(tool);
  program.addHelpText(
    'after',
    `\nHost: ${os.hostname()}  Run 'shoal <command> --help' for the options of each agent.\n`,
  );
  return program;
}

async function cli(argv: string[]): Promise<void> {
  const sub = argv[0];
  const agent = AGENTS.find((a) => a.spec.name === sub);
  const program = buildProgram(agent ? [] : await tools());
  // commander would print its own error line too; we print one, in our format
  const quiet = { writeErr: () => {}, outputError: () => {} };
  program.exitOverride().configureOutput(quiet);
  for (const c of program.commands) quietAll(c, quiet);
  const normalized = agent ? [sub as string, ...normalizeArgv(argv.slice(1), agent.spec.options)] : argv;
  try {
    // `shoal` alone: the help on stdout, exit 0 (commander would throw "(outputHelp)" at us)
    if (normalized.length === 0) program.outputHelp();
    else await program.parseAsync(normalized, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return;
      const tool = !agent && sub ? program.commands.find((c) => c.name() === sub) : undefined;
      const action = tool?.commands.find((c) => c.name() === argv[1]);
      const scope = agent
        ? `shoal ${agent.spec.name}`
        : tool
          ? `shoal ${tool.name()}${action ? ` ${action.name()}` : ''}`
          : 'shoal';
      fail(`${scope}: ${err.message.replace(/^error: /, '')}`, 2);
    }
    if (err instanceof ShoalError) fail(err.message, err.exitCode);
    throw err;
  }
}

// `shoal --help | head` must not crash on the closed pipe
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

cli(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`shoal: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
