import type { Command } from 'commander';
import { register as config } from './config.ts';

/** Each module registers one subcommand (and its own sub-subcommands) on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [config];
