import { describe, expect, it } from 'vitest';
import { prepareRewardCode } from './reward-functions.ts';

describe('prepareRewardCode', () => {
  it('wraps a bare body, also one that starts with an import or a comment', () => {
    expect(prepareRewardCode('f', 'Desc.', 'return [0.0] * len(completions)')).toBe(
      'def f(completions, **kwargs):\n    """Desc."""\n    return [0.0] * len(completions)\n',
    );
    expect(prepareRewardCode('g', 'D', '# note\nimport math\n\nreturn [math.pi for c in completions]')).toBe(
      'def g(completions, **kwargs):\n    """D"""\n    # note\n    import math\n\n    return [math.pi for c in completions]\n',
    );
  });

  it('adds the description as docstring to a function that has none, keeping one that has', () => {
    const plain = 'import re\n\ndef f(completions, **kwargs):\n  return [1.0 for c in completions]\n';
    expect(prepareRewardCode('f', 'Ones.', plain)).toBe('import re\n\ndef f(completions, **kwargs):\n  """Ones."""\n  return [1.0 for c in completions]\n');
    const documented = 'def f(completions, **kwargs):\n    """Own."""\n    return []\n';
    expect(prepareRewardCode('f', 'Other', documented)).toBe(documented);
  });

  it('escapes quotes and backslashes in the description', () => {
    expect(prepareRewardCode('f', 'a """ b \\', 'return []')).toContain('"""a \\"\\"\\" b \\\\"""');
  });
});
