import { Command, CommanderError } from 'commander';
import { commands } from './commands/index.ts';

/** Builds the `god` program: one subcommand per role or tool, each registered by its own module. */
export function buildProgram(): Command {
  const program = new Command('god')
    .description('G.O.D (Gradients on Demand): validator, miner, trainer, auditor and local devnet for subnet 56')
    .version('0.1.0')
    .showHelpAfterError();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    // One clear line for the operator; the stack only when asked for.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`god: ${message}\n`);
    if (process.env.GOD_DEBUG) process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    process.exitCode = 1;
  }
}
