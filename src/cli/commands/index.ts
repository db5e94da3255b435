import type { Command } from 'commander';
import { register as accounts } from './accounts.ts';
import { register as api } from './api.ts';
import { register as auditor } from './auditor.ts';
import { register as chain } from './chain.ts';
import { register as config } from './config.ts';
import { register as conformance } from './conformance.ts';
import { register as db } from './db.ts';
import { register as devnet } from './devnet.ts';
import { register as doctor } from './doctor.ts';
import { register as evaluate } from './eval.ts';
import { register as hub } from './hub.ts';
import { register as keys } from './keys.ts';
import { register as miner } from './miner.ts';
import { register as models } from './models.ts';
import { register as sandbox } from './sandbox.ts';
import { register as tournament } from './tournament.ts';
import { register as trainer } from './trainer.ts';
import { register as validator } from './validator.ts';

/** Each module registers one subcommand (and its own sub-subcommands) on the program. */
export type RegisterCommand = (program: Command) => void;

export const commands: RegisterCommand[] = [accounts, api, auditor, chain, config, conformance, db, devnet, doctor, evaluate, hub, keys, miner, models, sandbox, tournament, trainer, validator];
