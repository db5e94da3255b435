import { describe, expect, it } from 'vitest';
import { maskUrl } from './postgres.ts';

describe('maskUrl', () => {
  it('hides the password of a TCP URL', () => {
    expect(maskUrl('postgres://god:s3cret@db.internal:5432/god')).toBe('postgres://god:***@db.internal:5432/god');
  });
  it("hides the password of libpq's Unix-socket form, which WHATWG URL refuses", () => {
    expect(maskUrl('postgres://god:s3cret@/god?host=/run/postgresql')).toBe('postgres://god:***@/god?host=/run/postgresql');
    expect(maskUrl('postgres://god@/god?host=/tmp&port=5433')).toBe('postgres://god@/god?host=/tmp&port=5433');
  });
  it('says so when it cannot read the URL at all', () => {
    expect(maskUrl('not a url')).toBe('(unparsable DATABASE_URL)');
  });
});
