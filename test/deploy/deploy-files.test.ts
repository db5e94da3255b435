/**
 * The container image, the service units, the Kubernetes examples and docs/production.md name `god` commands,
 * flags and settings; this test runs them against the real command tree and configuration so they cannot rot
 * when a command or setting is renamed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAll } from 'js-yaml';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.ts';
import { configPaths, envNameFor, wellKnownEnv } from '../../src/config/schema.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(join(root, p), 'utf8');
const program = buildProgram();

/** Environment names that are not config paths but are read by the code or the runtime. */
const OTHER_ENV = new Set(['NODE_ENV', 'GOD_HOME', 'TSX_TSCONFIG_PATH', 'BT_WALLET_PATH', 'GOD_CHAIN_URL', 'GOD_TIME_SCALE', 'GOD_DEBUG']);
const CONFIG_ENV = new Set([...configPaths().map((p) => envNameFor(...(p.split('.') as [string, string]))), ...Object.keys(wellKnownEnv)]);

/** Problems with `god <args>`: unknown subcommands, unknown flags, flags missing their value. */
export function checkGodArgs(args: readonly string[]): string[] {
  const problems: string[] = [];
  let cmd: Command = program;
  let i = 0;
  const path: string[] = [];
  while (i < args.length && !args[i]!.startsWith('-')) {
    const sub = cmd.commands.find((c) => c.name() === args[i] || c.aliases().includes(args[i]!));
    if (!sub) break;
    cmd = sub;
    path.push(args[i]!);
    i++;
  }
  const where = `god ${path.join(' ')}`.trim();
  if (cmd.commands.length > 0 && !args.slice(i).some((a) => a === '--help' || a === '-h')) problems.push(`${where}: needs a subcommand (${cmd.commands.map((c) => c.name()).join(', ')})`);
  let positional = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h' || arg === '--version') continue;
    if (arg.startsWith('-')) {
      const [flag, inline] = arg.split(/=(.*)/s) as [string, string | undefined];
      const option = cmd.options.find((o) => o.long === flag || o.short === flag);
      if (!option) {
        problems.push(`${where}: unknown option ${flag}`);
        continue;
      }
      if (option.required && inline === undefined) {
        if (i + 1 >= args.length) problems.push(`${where}: ${flag} needs a value`);
        i++;
      }
      continue;
    }
    if (positional++ >= cmd.registeredArguments.length) problems.push(`${where}: unexpected argument ${arg}`);
  }
  return problems;
}

function unitFiles(): string[] {
  return readdirSync(join(root, 'deploy/systemd')).filter((f) => f.endsWith('.service'));
}

describe('the argument checker itself', () => {
  it('accepts real invocations and rejects made-up ones', () => {
    expect(checkGodArgs(['validator', '--port', '9100', '--no-synthetic'])).toEqual([]);
    expect(checkGodArgs(['trainer', 'start', '--executor=docker'])).toEqual([]);
    expect(checkGodArgs(['validatr'])).not.toEqual([]);
    expect(checkGodArgs(['validator', '--prot=1'])).toEqual(['god validator: unknown option --prot']);
    expect(checkGodArgs(['validator', '--port'])).toEqual(['god validator: --port needs a value']);
    expect(checkGodArgs(['miner'])).toEqual(['god miner: needs a subcommand (run, jobs)']);
  });
});

describe('systemd units (deploy/systemd)', () => {
  const units = unitFiles();

  it('has one unit per role', () => {
    expect(units.sort()).toEqual(['god-api.service', 'god-auditor.service', 'god-miner.service', 'god-trainer.service', 'god-validator.service']);
  });

  for (const unit of units) {
    it(`${unit} runs an existing command with existing flags and settings`, () => {
      const text = read(`deploy/systemd/${unit}`);
      const exec = text.split('\n').filter((l) => l.startsWith('ExecStart='));
      expect(exec).toHaveLength(1);
      const words = exec[0]!.slice('ExecStart='.length).trim().split(/\s+/);
      expect(words.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/god/bin/god.js']);
      const role = unit.replace(/^god-|\.service$/g, '');
      expect(words[2]).toBe(role);
      expect(checkGodArgs(words.slice(2))).toEqual([]);
      for (const m of text.matchAll(/^Environment=([A-Z0-9_]+)=/gm)) {
        expect(CONFIG_ENV.has(m[1]!) || OTHER_ENV.has(m[1]!), `${unit}: ${m[1]} is no setting`).toBe(true);
      }
      expect(text).toMatch(/^User=god$/m);
      expect(text).toMatch(/^NoNewPrivileges=yes$/m);
      expect(text).toMatch(/^ProtectSystem=strict$/m);
    });
  }

  it('god.env.example names only real settings', () => {
    const names = [...read('deploy/systemd/god.env.example').matchAll(/^#?\s?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(10);
    for (const n of names) expect(CONFIG_ENV.has(n) || OTHER_ENV.has(n), `${n} is no setting`).toBe(true);
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string>; engines: { node: string } };

  it('runs bin/god.js as the entrypoint, as a non-root user, on the Node major the project supports', () => {
    expect(text).toMatch(/^ENTRYPOINT \[.*"node", "\/app\/bin\/god\.js"\]$/m);
    expect(text).toMatch(/^USER node$/m);
    const major = /(\d+)/.exec(pkg.engines.node)![1];
    expect(text).toContain(`ARG NODE_IMAGE=node:${major}-slim`);
    const cmd = /^CMD (\[.*\])$/m.exec(text);
    expect(checkGodArgs(JSON.parse(cmd![1]!) as string[])).toEqual([]);
  });

  it('copies only paths that exist', () => {
    for (const m of text.matchAll(/^COPY (?!--from)(.+)$/gm)) {
      const parts = m[1]!.trim().split(/\s+/);
      for (const src of parts.slice(0, -1)) expect(existsSync(join(root, src)), `COPY ${src}`).toBe(true);
    }
  });

  it('installs without devDependencies: tsx and every package the sources import are production packages', () => {
    expect(text).toContain('npm ci --omit=dev');
    expect(pkg.dependencies.tsx).toBeDefined();
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const production = new Set(
      Object.entries(lock.packages)
        .filter(([p, meta]) => p.startsWith('node_modules/') && !meta.dev)
        .map(([p]) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length)),
    );
    // Follow the imports the running program can reach (static and literal dynamic ones; `import type` is erased).
    const missing = new Set<string>();
    const seen = new Set<string>();
    const queue = ['bin/god.js'];
    while (queue.length > 0) {
      const rel = queue.pop()!;
      if (seen.has(rel)) continue;
      seen.add(rel);
      const source = read(rel);
      const specs = [
        ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)].map((m) => m[1]!),
        ...[...source.matchAll(/\bimport\('([^']+)'\)/g)].map((m) => m[1]!),
      ];
      for (const spec of specs) {
        if (spec.startsWith('.')) {
          queue.push(join(rel, '..', spec));
          continue;
        }
        if (spec.startsWith('node:')) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        if (!production.has(name)) missing.add(`${name} (${rel})`);
      }
    }
    expect(seen.size).toBeGreaterThan(100);
    expect([...missing]).toEqual([]);
  });
});

describe('Kubernetes examples (deploy/k8s)', () => {
  const files = readdirSync(join(root, 'deploy/k8s')).filter((f) => f.endsWith('.yaml'));

  it('parse, and every god container runs an existing command with real settings', () => {
    let containers = 0;
    for (const f of files) {
      for (const doc of loadAll(read(`deploy/k8s/${f}`)) as Record<string, unknown>[]) {
        expect(doc.apiVersion, f).toBeTruthy();
        if (doc.kind === 'ConfigMap' || doc.kind === 'Secret') {
          const data = (doc.data ?? doc.stringData) as Record<string, string>;
          for (const k of Object.keys(data)) expect(CONFIG_ENV.has(k) || OTHER_ENV.has(k), `${f}: ${k} is no setting`).toBe(true);
        }
        const spec = (doc.spec as { template?: { spec?: { containers?: { image: string; args?: string[] }[] } } } | undefined)?.template?.spec;
        for (const c of spec?.containers ?? []) {
          if (!c.image.includes('god')) continue;
          containers++;
          expect(checkGodArgs((c.args ?? []).map(String)), `${f}: ${c.args?.join(' ')}`).toEqual([]);
        }
      }
    }
    expect(containers).toBeGreaterThan(0);
  });
});

describe('docs/production.md', () => {
  it('shows only god commands that exist and settings that exist', () => {
    const text = read('docs/production.md');
    const blocks = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
    let commands = 0;
    for (const block of blocks) {
      for (const raw of block.split('\n')) {
        const line = raw.replace(/\s+#.*$/, '').trim();
        const m = /^(?:[A-Z_]+=\S+\s+)*(?:docker run .*?god:\S+|god)\s+(.*)$/.exec(line);
        if (m) {
          commands++;
          const args = m[1]!.split(/\s+/).filter((a) => a !== '\\' && a !== '&');
          expect(checkGodArgs(args), line).toEqual([]);
        }
        for (const env of line.matchAll(/(?:^|\s|-e\s)([A-Z][A-Z0-9_]{2,})=/g)) {
          expect(CONFIG_ENV.has(env[1]!) || OTHER_ENV.has(env[1]!), `${line}: ${env[1]} is no setting`).toBe(true);
        }
      }
    }
    expect(commands).toBeGreaterThan(5);
    for (const m of text.matchAll(/`((?:general|database|chain|services|storage|synthetic|prep|synth|evaluation|validator|miner|trainer|tournament|protocol|weights|sandbox)\.[a-zA-Z]+)`/g)) {
      expect(configPaths(), m[1]).toContain(m[1]);
    }
  });
});

