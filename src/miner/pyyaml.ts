/**
 * `yaml.dump(value)` as PyYAML 6 writes it with its defaults (block style, keys sorted, indent 2, width 80,
 * `allow_unicode=False`), for the values a training config holds: mappings with string keys, lists, strings,
 * ints, floats, booleans and None. The base miner saves its axolotl config this way, and the vectors
 * (vectors/axolotl_config.json) record the exact text, so scalar style choice (plain, single-quoted,
 * double-quoted), line folding at column 80 and indentation follow PyYAML's emitter rule for rule.
 *
 * JavaScript cannot tell `1` from `1.0`: integer-valued numbers are written as ints; wrap a value that Python
 * holds as a float with `pyFloat` (from src/net).
 */
import { PyFloat, pyFloatRepr } from '../net/python-json.ts';
import { compareCodePoints } from './model-hash.ts';

export type YamlValue = null | boolean | number | PyFloat | string | readonly YamlValue[] | { readonly [key: string]: YamlValue };

const BEST_WIDTH = 80;
const BEST_INDENT = 2;
const BREAKS = '\n\x85\u2028\u2029';
const SPACE_OR_BREAK = '\0 \t\r\n\x85\u2028\u2029';

interface Analysis {
  empty: boolean;
  multiline: boolean;
  allowBlockPlain: boolean;
  allowSingleQuoted: boolean;
}

/** PyYAML's `Emitter.analyze_scalar`, reduced to what block-context emission needs. `chars` are code points. */
function analyzeScalar(chars: readonly string[]): Analysis {
  if (chars.length === 0) return { empty: true, multiline: false, allowBlockPlain: true, allowSingleQuoted: true };
  const text = chars.join('');
  let blockIndicators = false;
  let lineBreaks = false;
  let special = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  if (text.startsWith('---') || text.startsWith('...')) blockIndicators = true;
  let precededByWhitespace = true;
  let followedByWhitespace = chars.length === 1 || SPACE_OR_BREAK.includes(chars[1] as string);
  let previousBreak = false;
  for (let index = 0; index < chars.length; index++) {
    const ch = chars[index] as string;
    if (index === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWhitespace) blockIndicators = true;
      if (ch === '-' && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const cp = ch.codePointAt(0) as number;
    if (!(ch === '\n' || (cp >= 0x20 && cp <= 0x7e))) {
      // allow_unicode is False: every character outside printable ASCII forces double quotes.
      special = true;
    }
    if (ch === ' ') {
      if (index === 0) leadingSpace = true;
      if (index === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (index === 0) leadingBreak = true;
      if (index === chars.length - 1) trailingBreak = true;
      previousBreak = true;
    } else {
      previousBreak = false;
    }
    precededByWhitespace = SPACE_OR_BREAK.includes(ch);
    followedByWhitespace = index + 2 >= chars.length || SPACE_OR_BREAK.includes(chars[index + 2] as string);
  }
  let allowBlockPlain = true;
  let allowSingleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) allowBlockPlain = false;
  if (breakSpace) {
    allowBlockPlain = false;
    allowSingleQuoted = false;
  }
  if (special) {
    allowBlockPlain = false;
    allowSingleQuoted = false;
  }
  if (lineBreaks) allowBlockPlain = false;
  if (blockIndicators) allowBlockPlain = false;
  return { empty: false, multiline: lineBreaks, allowBlockPlain, allowSingleQuoted };
}

// PyYAML's implicit resolvers (resolver.py): a plain scalar matching one of these would load as a non-string,
// so a string that matches must be quoted.
const IMPLICIT_NON_STRING: readonly RegExp[] = [
  /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  /^(?:<<)$/,
  /^(?:~|null|Null|NULL|)$/,
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/,
  /^(?:=)$/,
];

/** Whether PyYAML would read this text, written plain, back as a string. */
export function resolvesAsString(text: string): boolean {
  return !IMPLICIT_NON_STRING.some((re) => re.test(text));
}

const ESCAPES: Readonly<Record<string, string>> = {
  '\0': '0',
  '\x07': 'a',
  '\x08': 'b',
  '\x09': 't',
  '\x0A': 'n',
  '\x0B': 'v',
  '\x0C': 'f',
  '\x0D': 'r',
  '\x1B': 'e',
  '"': '"',
  '\\': '\\',
  '\x85': 'N',
  '\xA0': '_',
  '\u2028': 'L',
  '\u2029': 'P',
};

/** The emitter's writing state, as in PyYAML (column, whether the last thing written was whitespace, …). */
class Writer {
  out = '';
  column = 0;
  whitespace = true;
  indention = true;
  indent: number | null = null;
  private readonly indents: (number | null)[] = [];

  private write(data: string, width = [...data].length): void {
    this.out += data;
    this.column += width;
  }

  increaseIndent(flow: boolean, indentless = false): void {
    this.indents.push(this.indent);
    if (this.indent === null) this.indent = flow ? BEST_INDENT : 0;
    else if (!indentless) this.indent += BEST_INDENT;
  }

  popIndent(): void {
    this.indent = this.indents.pop() ?? null;
  }

  lineBreak(br = '\n'): void {
    this.whitespace = true;
    this.indention = true;
    this.out += br;
    this.column = 0;
  }

  writeIndent(): void {
    const indent = this.indent ?? 0;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.lineBreak();
    if (this.column < indent) {
      this.whitespace = true;
      this.write(' '.repeat(indent - this.column));
    }
  }

  indicator(indicator: string, needWhitespace: boolean, whitespace = false, indention = false): void {
    const data = this.whitespace || !needWhitespace ? indicator : ` ${indicator}`;
    this.whitespace = whitespace;
    this.indention = this.indention && indention;
    this.write(data);
  }

  plain(chars: readonly string[], split: boolean): void {
    if (chars.length === 0) return;
    if (!this.whitespace) this.write(' ');
    this.whitespace = false;
    this.indention = false;
    let spaces = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? (chars[end] as string) : null;
      if (spaces) {
        if (ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split) {
            this.writeIndent();
            this.whitespace = false;
            this.indention = false;
          } else {
            this.write(chars.slice(start, end).join(''), end - start);
          }
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch)) {
        this.write(chars.slice(start, end).join(''), end - start);
        start = end;
      }
      if (ch !== null) spaces = ch === ' ';
    }
  }

  singleQuoted(chars: readonly string[], split: boolean): void {
    this.indicator("'", true);
    let spaces = false;
    let breaks = false;
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? (chars[end] as string) : null;
      if (spaces) {
        if (ch === null || ch !== ' ') {
          if (start + 1 === end && this.column > BEST_WIDTH && split && start !== 0 && end !== chars.length) {
            this.writeIndent();
          } else {
            this.write(chars.slice(start, end).join(''), end - start);
          }
          start = end;
        }
      } else if (breaks) {
        if (ch === null || !BREAKS.includes(ch)) {
          if (chars[start] === '\n') this.lineBreak();
          for (const br of chars.slice(start, end)) this.lineBreak(br === '\n' ? '\n' : br);
          this.writeIndent();
          start = end;
        }
      } else if (ch === null || ' \n\x85\u2028\u2029'.includes(ch) || ch === "'") {
        if (start < end) {
          this.write(chars.slice(start, end).join(''), end - start);
          start = end;
        }
      }
      if (ch === "'") {
        this.write("''", 2);
        start = end + 1;
      }
      if (ch !== null) {
        spaces = ch === ' ';
        breaks = BREAKS.includes(ch);
      }
    }
    this.indicator("'", false);
  }

  doubleQuoted(chars: readonly string[], split: boolean): void {
    this.indicator('"', true);
    let start = 0;
    for (let end = 0; end <= chars.length; end++) {
      const ch = end < chars.length ? (chars[end] as string) : null;
      const cp = ch === null ? 0 : (ch.codePointAt(0) as number);
      if (ch === null || '"\\\x85\u2028\u2029\uFEFF'.includes(ch) || !(cp >= 0x20 && cp <= 0x7e)) {
        if (start < end) {
          this.write(chars.slice(start, end).join(''), end - start);
          start = end;
        }
        if (ch !== null) {
          const hex = cp.toString(16).toUpperCase();
          const data =
            ESCAPES[ch] !== undefined
              ? `\\${ESCAPES[ch]}`
              : cp <= 0xff
                ? `\\x${hex.padStart(2, '0')}`
                : cp <= 0xffff
                  ? `\\u${hex.padStart(4, '0')}`
                  : `\\U${hex.padStart(8, '0')}`;
          this.write(data);
          start = end + 1;
        }
      }
      if (end > 0 && end < chars.length - 1 && (ch === ' ' || start >= end) && this.column + (end - start) > BEST_WIDTH && split) {
        const data = `${chars.slice(start, end).join('')}\\`;
        if (start < end) start = end;
        this.write(data);
        this.writeIndent();
        this.whitespace = false;
        this.indention = false;
        if (chars[start] === ' ') this.write('\\');
      }
    }
    this.indicator('"', false);
  }
}

function isMapping(value: YamlValue): value is { readonly [key: string]: YamlValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof PyFloat);
}

/** The text PyYAML's representer gives a non-string scalar (always written plain). */
function representScalar(value: null | boolean | number | PyFloat): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const asFloat = value instanceof PyFloat || !Number.isInteger(value);
  const n = value instanceof PyFloat ? value.value : value;
  if (!asFloat) return Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
  if (Number.isNaN(n)) return '.nan';
  if (n === Infinity) return '.inf';
  if (n === -Infinity) return '-.inf';
  const text = pyFloatRepr(n).toLowerCase();
  // PyYAML makes `1e+16` readable as a float by giving it a fraction part.
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

interface Context {
  readonly mapping: boolean;
  readonly sequence: boolean;
  readonly simpleKey: boolean;
}

function emitString(w: Writer, text: string, ctx: Context): void {
  const chars = Array.from(text);
  const analysis = analyzeScalar(chars);
  const split = !ctx.simpleKey;
  w.increaseIndent(true);
  const plainOk = resolvesAsString(text) && !(ctx.simpleKey && (analysis.empty || analysis.multiline)) && analysis.allowBlockPlain;
  if (plainOk) w.plain(chars, split);
  else if (analysis.allowSingleQuoted && !(ctx.simpleKey && analysis.multiline)) w.singleQuoted(chars, split);
  else w.doubleQuoted(chars, split);
  w.popIndent();
}

function emitNode(w: Writer, value: YamlValue, ctx: Context): void {
  if (typeof value === 'string') return emitString(w, value, ctx);
  if (Array.isArray(value)) {
    const items = value as readonly YamlValue[];
    if (items.length === 0) {
      w.indicator('[', true, true);
      w.indicator(']', false);
      return;
    }
    w.increaseIndent(false, ctx.mapping && !w.indention);
    for (const item of items) {
      w.writeIndent();
      w.indicator('-', true, false, true);
      emitNode(w, item, { mapping: false, sequence: true, simpleKey: false });
    }
    w.popIndent();
    return;
  }
  if (isMapping(value)) {
    const keys = Object.keys(value).sort(compareCodePoints);
    if (keys.length === 0) {
      w.indicator('{', true, true);
      w.indicator('}', false);
      return;
    }
    w.increaseIndent(false);
    for (const key of keys) {
      if (key.length >= 128 || /[\n\x85\u2028\u2029]/.test(key)) throw new Error(`pyyaml: key ${JSON.stringify(key)} needs a complex key, which this emitter does not write`);
      w.writeIndent();
      emitNode(w, key, { mapping: true, sequence: false, simpleKey: true });
      w.indicator(':', false);
      emitNode(w, value[key] as YamlValue, { mapping: true, sequence: false, simpleKey: false });
    }
    w.popIndent();
    return;
  }
  // Non-string scalars: always plain (they resolve to their own type).
  w.increaseIndent(true);
  w.plain(Array.from(representScalar(value as null | boolean | number | PyFloat)), !ctx.simpleKey);
  w.popIndent();
}

/** `yaml.dump(value)` text for a mapping or list (a document without `---`, ending in a newline). */
export function pyYamlDump(value: YamlValue): string {
  if (!isMapping(value) && !Array.isArray(value)) throw new Error('pyYamlDump: the document root must be a mapping or a list');
  const w = new Writer();
  emitNode(w, value, { mapping: false, sequence: false, simpleKey: false });
  w.writeIndent();
  return w.out;
}
