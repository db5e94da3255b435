import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { encodeNonFinite } from '../../conformance/codec.ts';
import { registeredAdapters } from '../../conformance/registry.ts';
import { reportLines } from '../../conformance/report.ts';
import { runConformance } from '../../conformance/runner.ts';

/** `god conformance <dir>`: checks our rules against the original's recorded outputs (docs/conformance.md). */
export function register(program: Command): void {
  program
    .command('conformance')
    .description(
      "run every vector file (*.json) in a folder through our implementation and compare with the original's outputs",
    )
    .argument('<dir>', 'folder of vector files (format: vectors/README.md)')
    .option('--verbose', 'one line per case, with deviation reasons and every mismatch path')
    .option('--json', 'print the whole report as JSON instead of lines')
    .option('--strict', 'also exit non-zero when a file is unsupported or invalid')
    .addHelpText(
      'after',
      '\nCounts are cases (passed, failed, deviations) and files (unsupported). Exit status: 1 when any case\n' +
        'failed (or, with --strict, any file was not run), else 0. Deviations are cases where we knowingly\n' +
        'differ from the original (docs/deviations.md) and match the documented fixed result.',
    )
    .action((dir: string, opts: { verbose?: boolean; json?: boolean; strict?: boolean }) => {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`conformance: ${dir} is not a folder`);
      const report = runConformance(dir, registeredAdapters);
      if (opts.json) process.stdout.write(`${JSON.stringify(encodeNonFinite(report), null, 2)}\n`);
      else process.stdout.write(`${reportLines(report, opts.verbose === true).join('\n')}\n`);
      if (report.files.length === 0) process.stderr.write(`god conformance: no *.json files in ${dir}\n`);
      const { failed, unsupported } = report.totals;
      if (failed > 0 || (opts.strict === true && unsupported > 0)) process.exitCode = 1;
    });
}
