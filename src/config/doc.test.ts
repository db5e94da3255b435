import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractConfigReference, renderConfigReference, updateConfigDoc } from './doc.ts';
import { configPaths, envNameFor } from './schema.ts';

const docPath = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/configuration.md');

describe('docs/configuration.md', () => {
  it('holds exactly the reference generated from the rules (run `node bin/god.js config docs --write docs/configuration.md`)', () => {
    const current = extractConfigReference(readFileSync(docPath, 'utf8'));
    expect(current).toBe(renderConfigReference());
  });

  it('lists every key with its environment name', () => {
    const reference = renderConfigReference();
    for (const path of configPaths()) {
      const [group, key] = path.split('.') as [string, string];
      expect(reference).toContain(`| \`${path}\` |`);
      expect(reference).toContain(`\`${envNameFor(group, key)}\``);
    }
  });

  it('replaces only the generated section of a document', () => {
    const doc = `# Title\n\nprose\n\n${renderConfigReference().replace('| `general.home`', '| `stale`')}\n\nafter\n`;
    const updated = updateConfigDoc(doc);
    expect(updated.startsWith('# Title\n\nprose\n\n')).toBe(true);
    expect(updated.endsWith('\n\nafter\n')).toBe(true);
    expect(extractConfigReference(updated)).toBe(renderConfigReference());
    expect(extractConfigReference(updateConfigDoc('# Fresh\n'))).toBe(renderConfigReference());
  });
});
