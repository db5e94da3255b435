/**
 * `god sandbox`: run Python through the isolated pool the validator uses, for operators and reward-function
 * authors. Failures of the Python code are data (printed, exit 0); only misuse of the command exits non-zero.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { loadConfig } from '../../config/index.ts';
import type { SandboxRules } from '../../core/rules/sandbox.ts';
import { Sandbox, detectIsolation } from '../../sandbox/index.ts';

export interface SandboxDeps {
  out: (text: string) => void;
  /** Sandbox rules from the config (defaults ← file ← environment), before per-command overrides. */
  rules: () => SandboxRules;
}

const defaultDeps: SandboxDeps = {
  out: (text) => process.stdout.write(text),
  rules: () => loadConfig().config.sandbox,
};

const completionListSchema = z.array(z.string());
const completionsObjectSchema = z.object({ completions: z.array(z.string()), extra_data: z.array(z.unknown()).nullable().optional() });

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--timeout: expected a positive number of seconds, got "${value}"`);
  return n;
}

async function withSandbox<T>(deps: SandboxDeps, overrides: Partial<SandboxRules>, fn: (sandbox: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = await Sandbox.start({ rules: { ...deps.rules(), poolSize: 1, ...overrides } });
  try {
    return await fn(sandbox);
  } finally {
    await sandbox.close();
  }
}

export function registerSandbox(program: Command, deps: SandboxDeps = defaultDeps): void {
  const sandbox = program
    .command('sandbox')
    .description('run Python in the isolated sandbox (restricted execution, reward functions)');

  sandbox
    .command('run')
    .description('run FILE.py through restricted_execution and print {"output": …, "error": …} as one JSON line')
    .argument('<file>', 'Python source file')
    .addOption(new Option('--input <text>', 'input_data handed to the code (input() lines, or the raw text)').conflicts('inputFile'))
    .option('--input-file <path>', 'read input_data from a file')
    .option('--timeout <seconds>', 'deadline of the run (default: sandbox.callTimeoutSeconds)', parseSeconds)
    .addHelpText('after', '\nExit status is 0 even when the code fails: the error is part of the result.\n')
    .action(async (file: string, opts: { input?: string; inputFile?: string; timeout?: number }) => {
      const code = readText(file, 'file');
      const input = opts.inputFile ? readText(opts.inputFile, 'input file') : (opts.input ?? '');
      const result = await withSandbox(deps, opts.timeout ? { callTimeoutSeconds: opts.timeout } : {}, (box) => box.restrictedExecution(code, input));
      deps.out(`${JSON.stringify({ output: result.output, error: result.error })}\n`);
    });

  sandbox
    .command('reward')
    .description('validate a reward function and print its scores for the given completions as one JSON line')
    .argument('<file>', 'Python source defining one function f(completions, **kwargs)')
    .requiredOption('--completions <path>', 'JSON file: a list of strings, or {"completions": [...], "extra_data": [...]}')
    .addHelpText(
      'after',
      '\nPrints {"valid", "error", "name", "supports_extra_data", "scores"}; scores is null when the function is\n' +
        'invalid or failed on the completions. Exit status is 0 either way.\n',
    )
    .action(async (file: string, opts: { completions: string }) => {
      const code = readText(file, 'file');
      let raw: unknown;
      try {
        raw = JSON.parse(readText(opts.completions, 'completions file'));
      } catch (error) {
        throw new Error(`--completions: ${(error as Error).message}`);
      }
      // Two shapes, checked separately so an error names the field rather than "no union member matched".
      const parsed = Array.isArray(raw)
        ? completionListSchema.transform((completions) => ({ completions, extra_data: null })).safeParse(raw)
        : completionsObjectSchema.safeParse(raw);
      if (!parsed.success) {
        throw new Error(`--completions: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      }
      const completions = parsed.data.completions;
      const extraData = parsed.data.extra_data ?? null;
      if (extraData && extraData.length !== completions.length) throw new Error('--completions: extra_data must have one entry per completion');
      const report = await withSandbox(deps, {}, async (box) => {
        const validation = await box.validateRewardFunction(code);
        if (!validation.valid) return { ...validation, scores: null };
        const scored = await box.scoreCompletions([code], [1], completions, extraData);
        return { ...validation, valid: scored.error === null, error: scored.error, scores: scored.perFunction[0]?.rewards ?? null };
      });
      deps.out(
        `${JSON.stringify({ valid: report.valid, error: report.error, name: report.name, supports_extra_data: report.supportsExtraData, scores: report.scores })}\n`,
      );
    });

  sandbox
    .command('status')
    .description('show which isolation layers this machine gives sandbox processes')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      const report = detectIsolation();
      const layers = {
        empty_environment: true,
        permission_model: report.permissionFlag,
        code_generation_from_strings: 'disallowed',
        namespaces: report.namespaces ? report.namespaces.filter((a) => ['--net', '--pid', '--mount'].includes(a)).map((a) => a.slice(2)) : null,
        memory_cgroup: report.cgroup ? `v${report.cgroup.version}` : null,
        warnings: report.warnings,
      };
      if (opts.json) {
        deps.out(`${JSON.stringify(layers)}\n`);
        return;
      }
      deps.out(
        [
          'empty environment:        yes',
          `node permission model:    ${layers.permission_model ?? 'NO'}`,
          'code from strings:        disallowed',
          `namespaces:               ${layers.namespaces?.join(', ') ?? 'NO (shares the host network)'}`,
          `memory cgroup:            ${layers.memory_cgroup ?? 'NO (wasm and V8 heap caps only)'}`,
          ...report.warnings.map((w) => `warning: ${w}`),
        ].join('\n') + '\n',
      );
    });
}

export const register = (program: Command): void => registerSandbox(program);
