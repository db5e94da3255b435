/**
 * A scoring input the rule cannot score (NaN loss where one is required, non-positive hours, …). Carries the
 * exception class and message the original raises for the same input, so the conformance adapters can report
 * it in vector form; callers that loop over many inputs catch it per item (see docs/deviations.md).
 */
export class ScoringError extends Error {
  override readonly name = 'ScoringError';
  constructor(
    /** The original's exception class for this input: `AssertionError`, `ValueError`, `TypeError`, …. */
    readonly pythonClass: 'AssertionError' | 'ValueError' | 'TypeError' | 'OverflowError',
    message: string,
  ) {
    super(message);
  }
}

/** Throws a ScoringError with the original's AssertionError message when `condition` is false. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ScoringError('AssertionError', message);
}
