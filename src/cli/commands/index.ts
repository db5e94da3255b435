import type { Command } from 'commander';
import { register as accounts } from './accounts.ts';
import { register as chain } from './chain.ts';
import { register as config } from './config.ts';
import { register as conformance } from './conformance.ts';
import { register as db } from './db.ts';
import { register as devnet } from './devnet.ts';
import { register as hub } from './hub.ts';
import { register as keys } from './keys.ts';
import { register as miner } from './miner.ts';
import { register as models } from './models.ts';
import { register as sandbox } from './sandbox.ts';

/** Each module registers one subcommand (and its own sub-subcommands) on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [accounts, chain, config, conformance, db, devnet, hub, keys, miner, models, sandbox];
