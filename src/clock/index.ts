/**
 * Time as a dependency. Every loop, deadline and timestamp in the code asks a `Clock`, so the devnet can
 * run a day of subnet time in minutes (`ScaledClock`) and tests can step through time exactly
 * (`ManualClock`) without touching real timers.
 */

export interface Timer {
  /** Stops the timer; a no-op once it has fired or been cancelled. */
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch, in this clock's time. Never goes backwards. */
  now(): number;
  date(): Date;
  /** Resolves once `now()` has advanced by at least `ms`; rejects with the signal's reason on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Resolves once `now() >= at`. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
  /** Calls `fn` once, after `ms` of this clock's time. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Calls `fn` once, when `now() >= at` (epoch ms). Timers fire in deadline order. */
  setTimerAt(at: number, fn: () => void): Timer;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** Turns `setTimerAt` into a promise that honours an AbortSignal. */
function sleepUntilWith(clock: Pick<Clock, 'setTimerAt'>, at: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(abortReason(signal as AbortSignal));
    };
    const timer = clock.setTimerAt(at, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

interface PendingTimer {
  due: number;
  seq: number;
  fn: () => void;
}

/** Inserts keeping (due, seq) order; timer lists are short, so a scan from the end is enough. */
function insertTimer(list: PendingTimer[], timer: PendingTimer): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] as PendingTimer).due > timer.due) i--;
  list.splice(i, 0, timer);
}

/** Runs a timer callback; a throwing one must not stop the others, so its error is rethrown on its own. */
function fire(timer: PendingTimer): void {
  try {
    timer.fn();
  } catch (err) {
    queueMicrotask(() => {
      throw err;
    });
  }
}

/**
 * A clock driven by real timers whose time is `origin + realElapsed * factor`. Its own queue orders the
 * timers by deadline, with one real timer armed for the earliest: at 1000× a real millisecond is a virtual
 * second, finer than Node's timers, so leaving the order to them would mix up close deadlines. Real
 * timers can also fire a little early (libuv rounds to whole ms); the queue re-arms until this clock's
 * time has truly reached the deadline, so whoever wakes from `sleep(ms)` sees `now()` advanced by at
 * least `ms`.
 */
export class ScaledClock implements Clock {
  readonly factor: number;
  private readonly origin: number;
  private readonly realStart: number;
  private readonly timers: PendingTimer[] = [];
  private seq = 0;
  private armed: { handle: ReturnType<typeof setTimeout>; due: number } | undefined;

  constructor(factor: number, options: { origin?: number } = {}) {
    if (!Number.isFinite(factor) || factor <= 0) throw new Error(`clock speed factor must be a positive number, got ${factor}`);
    this.factor = factor;
    this.origin = options.origin ?? Date.now();
    this.realStart = performance.now();
  }

  now(): number {
    return this.origin + (performance.now() - this.realStart) * this.factor;
  }

  date(): Date {
    return new Date(this.now());
  }

  setTimer(ms: number, fn: () => void): Timer {
    return this.setTimerAt(this.now() + Math.max(0, ms), fn);
  }

  setTimerAt(at: number, fn: () => void): Timer {
    const timer: PendingTimer = { due: at, seq: this.seq++, fn };
    insertTimer(this.timers, timer);
    this.arm();
    return {
      cancel: () => {
        const at = this.timers.indexOf(timer);
        if (at < 0) return;
        this.timers.splice(at, 1);
        this.arm();
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepUntilWith(this, this.now() + Math.max(0, ms), signal);
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    return sleepUntilWith(this, at, signal);
  }

  /** Keeps exactly one real timer, set for the earliest deadline (none when nothing waits). */
  private arm(): void {
    const head = this.timers[0];
    if (this.armed && (head === undefined || this.armed.due !== head.due)) {
      clearTimeout(this.armed.handle);
      this.armed = undefined;
    }
    if (head === undefined || this.armed) return;
    const handle = setTimeout(() => this.wake(), Math.max(0, (head.due - this.now()) / this.factor));
    this.armed = { handle, due: head.due };
  }

  private wake(): void {
    this.armed = undefined;
    const now = this.now();
    while (this.timers.length > 0 && (this.timers[0] as PendingTimer).due <= now) fire(this.timers.shift() as PendingTimer);
    this.arm();
  }
}

/** Wall-clock time: `Date.now()` epoch, real timers. */
export class SystemClock extends ScaledClock {
  constructor() {
    super(1);
  }
}

export const systemClock: Clock = new SystemClock();

/** Lets the event loop run until every continuation triggered so far has had its turn. */
function drain(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Time stands still until a test moves it. `advance(ms)` fires due timers in order of their deadlines
 * (ties in order of creation), setting `now()` to each deadline as it fires and letting the woken code run
 * before the next, so a loop that sleeps again inside the window is woken again inside it.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(start: number | Date = Date.UTC(2025, 7, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  date(): Date {
    return new Date(this.current);
  }

  /** How many timers (sleepers included) are waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** The deadline of the next timer, if any. */
  nextDue(): number | undefined {
    return this.timers[0]?.due;
  }

  setTimer(ms: number, fn: () => void): Timer {
    return this.setTimerAt(this.current + Math.max(0, ms), fn);
  }

  setTimerAt(at: number, fn: () => void): Timer {
    const timer: PendingTimer = { due: Math.max(at, this.current), seq: this.seq++, fn };
    insertTimer(this.timers, timer);
    return {
      cancel: () => {
        const at = this.timers.indexOf(timer);
        if (at >= 0) this.timers.splice(at, 1);
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepUntilWith(this, this.current + Math.max(0, ms), signal);
  }

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    return sleepUntilWith(this, at, signal);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new Error(`ManualClock.advance needs a non-negative duration, got ${ms}`);
    await this.advanceTo(this.current + ms);
  }

  /** Moves time forward to `target` (epoch ms); returns how many timers fired. */
  async advanceTo(target: number): Promise<number> {
    if (target < this.current) throw new Error(`ManualClock cannot go back in time (${target} < ${this.current})`);
    let fired = 0;
    await drain();
    while (true) {
      const next = this.timers[0];
      if (next === undefined || next.due > target) break;
      this.timers.shift();
      this.current = Math.max(this.current, next.due);
      next.fn();
      fired++;
      await drain();
    }
    this.current = target;
    await drain();
    return fired;
  }

  /** Fires timers until none are left, jumping straight to each deadline; returns how many fired. */
  async runAll(limit = 10_000): Promise<number> {
    let fired = 0;
    while (this.timers.length > 0) {
      if (fired >= limit) throw new Error(`ManualClock.runAll: still ${this.timers.length} timers after ${limit} (a loop that never ends?)`);
      fired += await this.advanceTo(Math.max(this.current, (this.timers[0] as PendingTimer).due));
    }
    return fired;
  }
}

/** The clock the devnet uses: `GOD_TIME_SCALE=100` runs time 100× faster; 1 or unset is the system clock. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const raw = env.GOD_TIME_SCALE;
  if (raw === undefined || raw.trim() === '') return systemClock;
  const factor = Number(raw);
  if (!Number.isFinite(factor) || factor <= 0) throw new Error(`GOD_TIME_SCALE: must be a positive number, got "${raw}"`);
  return factor === 1 ? systemClock : new ScaledClock(factor);
}
