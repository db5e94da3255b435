/** Turns a conformance run into the lines `god conformance` prints. */
import type { CaseResult, FileReport, RunReport, Totals } from './runner.ts';

const SHOWN_FAILING_CASES = 3;
const SHOWN_MISMATCHES = 3;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function deviationIds(cases: readonly CaseResult[]): string[] {
  return [...new Set(cases.filter((c) => c.status === 'deviation').map((c) => c.deviation?.id ?? '?'))];
}

function mismatchLines(c: CaseResult, indent: string): string[] {
  const lines = c.mismatches.slice(0, SHOWN_MISMATCHES).map((m) => `${indent}  ${m.path}: ${m.message}`);
  if (c.mismatches.length > SHOWN_MISMATCHES) lines.push(`${indent}  … ${c.mismatches.length - SHOWN_MISMATCHES} more`);
  return lines;
}

/** The line(s) for one file; `verbose` adds one line per case. */
export function fileLines(f: FileReport, verbose = false): string[] {
  if (f.status === 'unsupported') return [`UNSUPPORTED ${f.file}: ${f.reason ?? ''}`];
  if (f.status === 'invalid') return [`INVALID ${f.file}: ${f.reason ?? ''}`];
  const n = f.cases.length;
  const lines: string[] = [];
  if (f.status === 'pass') {
    const devs = f.deviations > 0 ? `, ${plural(f.deviations, 'deviation')} (${deviationIds(f.cases).join(', ')})` : '';
    lines.push(`PASS ${f.file} (${plural(n, 'case')}${devs})`);
  } else {
    const devs = f.deviations > 0 ? `; ${plural(f.deviations, 'deviation')} (${deviationIds(f.cases).join(', ')})` : '';
    lines.push(`FAIL ${f.file}: ${f.failed} of ${n} failed${devs}`);
  }
  if (verbose) {
    for (const c of f.cases) {
      if (c.status === 'pass') lines.push(`  ok ${c.name}`);
      else if (c.status === 'deviation') {
        const same = c.originalAgrees ? ' (the original agrees here)' : '';
        lines.push(`  DEVIATION ${c.name}: ${c.deviation?.id ?? ''} ${c.deviation?.reason ?? ''}${same}`);
      } else {
        lines.push(`  FAIL ${c.name}${c.deviation ? ` [under ${c.deviation.id}, against its expected result]` : ''}`);
        lines.push(...mismatchLines(c, '  '));
      }
    }
  } else if (f.status === 'fail') {
    const failing = f.cases.filter((c) => c.status === 'fail');
    for (const c of failing.slice(0, SHOWN_FAILING_CASES)) {
      lines.push(`  - ${c.name}${c.deviation ? ` [under ${c.deviation.id}]` : ''}`);
      lines.push(...mismatchLines(c, '  '));
    }
    if (failing.length > SHOWN_FAILING_CASES) lines.push(`  … ${failing.length - SHOWN_FAILING_CASES} more failing cases (--verbose)`);
  }
  return lines;
}

/** The last line: `N passed, M failed` plus `, K deviations` and `, U unsupported` when nonzero. */
export function summaryLine(t: Totals): string {
  let line = `${t.passed} passed, ${t.failed} failed`;
  if (t.deviations > 0) line += `, ${t.deviations} deviations`;
  if (t.unsupported > 0) line += `, ${t.unsupported} unsupported`;
  return line;
}

export function reportLines(report: RunReport, verbose = false): string[] {
  return [...report.files.flatMap((f) => fileLines(f, verbose)), summaryLine(report.totals)];
}
