/**
 * `god config`: the effective configuration (rules + settings) and where each value came from. Loading is the
 * same call every role makes at start-up, so what this prints is what they would run with.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  configGroups,
  configToJson,
  configToTable,
  loadConfig,
  locateConfigFile,
  parseSetFlags,
  renderConfigReference,
  updateConfigDoc,
} from '../../config/index.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function register(program: Command): void {
  const config = program
    .command('config')
    .description('show the effective configuration (defaults ← config file ← environment ← --set) and where each value came from');

  config
    .command('show')
    .description('print every effective value with its source (default | file:<path> | env:<NAME> | cli); secrets are masked')
    .option('--json', 'print JSON: { group: { key: { value, source } } }')
    .option('--only <group>', `print one group (${configGroups.join(', ')})`)
    .option('--set <group.key=value>', 'override one value for this run (repeatable); shown with source "cli"', collect, [])
    .action((opts: { json?: boolean; only?: string; set: string[] }) => {
      const loaded = loadConfig({ cli: parseSetFlags(opts.set) });
      if (opts.json) process.stdout.write(`${JSON.stringify(configToJson(loaded, opts.only), null, 2)}\n`);
      else process.stdout.write(configToTable(loaded, opts.only));
    });

  config
    .command('path')
    .description('print the config file that would be read ($GOD_CONFIG, else $GOD_HOME/config.json, GOD_HOME defaulting to ./.god)')
    .action(() => {
      const file = locateConfigFile();
      process.stdout.write(`${file.path}\n`);
      if (!file.exists) process.stderr.write('(file does not exist; defaults and the environment apply)\n');
    });

  config
    .command('docs')
    .description('print the generated configuration reference (markdown), or rewrite its section in a file')
    .option('--write <file>', 'replace the generated section of this markdown file (e.g. docs/configuration.md)')
    .action((opts: { write?: string }) => {
      if (!opts.write) {
        process.stdout.write(`${renderConfigReference()}\n`);
        return;
      }
      let current = '';
      try {
        current = readFileSync(opts.write, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      writeFileSync(opts.write, updateConfigDoc(current));
      process.stdout.write(`updated ${opts.write}\n`);
    });
}
