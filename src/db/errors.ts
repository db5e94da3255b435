/** A database problem an operator can act on; the message is one line naming the cause. */
export class DbError extends Error {
  override readonly name = 'DbError';
}
