/**
 * `toml.dump(config)` as the Python `toml` package (0.10) writes a flat table: `key = value` per line in the
 * mapping's order, strings in double quotes, floats as Python's repr with the exponent's leading zero dropped
 * (`1e-05` → `1e-5`), lists as `[ a, b,]`. The base miner saves its kohya config this way (vectors record
 * the exact text). Nested tables are not needed by any template and are refused.
 */
import { PyFloat, pyFloatRepr } from '../../net/python-json.ts';
import type { TemplateValue } from './templates.ts';

/** Python's repr of a str, then the toml package's turn of it into a basic string. */
function tomlString(text: string): string {
  let body = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (ch === '\\') body += '\\\\';
    else if (ch === '"') body += '\\"';
    else if (ch === '\n') body += '\\n';
    else if (ch === '\r') body += '\\r';
    else if (ch === '\t') body += '\\t';
    else if (cp < 0x20 || cp === 0x7f) body += `\\u00${cp.toString(16).padStart(2, '0')}`;
    else if (cp > 0x7f && /[\p{C}\p{Z}]/u.test(ch)) {
      // Python's repr escapes non-printable characters; the toml package turns `\xNN` into `\u00NN`.
      body += cp <= 0xff ? `\\u00${cp.toString(16).padStart(2, '0')}` : cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else body += ch;
  }
  return `"${body}"`;
}

function tomlValue(value: TemplateValue): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof PyFloat || (typeof value === 'number' && !Number.isInteger(value))) {
    const n = value instanceof PyFloat ? value.value : value;
    if (Number.isNaN(n)) return 'nan';
    if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
    return pyFloatRepr(n).replace('e+0', 'e+').replace('e-0', 'e-');
  }
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${(value as readonly TemplateValue[]).map((v) => ` ${tomlValue(v)},`).join('')}]`;
  throw new Error('pytoml: nested tables and null values are not written by this encoder');
}

function bareKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** The text of `toml.dumps(table)` for a flat table; `null` values are left out, as the package does. */
export function pyTomlDump(table: Readonly<Record<string, TemplateValue>>): string {
  let out = '';
  for (const [key, value] of Object.entries(table)) {
    if (value === null) continue;
    out += `${bareKey(key)} = ${tomlValue(value)}\n`;
  }
  return out;
}
