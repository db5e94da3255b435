import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.ts';

describe('god program', () => {
  it('names itself and lists every registered subcommand in its help', () => {
    const program = buildProgram();
    const help = program.helpInformation();
    expect(help).toContain('Usage: god');
    for (const cmd of program.commands) expect(help).toContain(cmd.name());
  });
});
