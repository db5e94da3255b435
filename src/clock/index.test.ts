import { describe, expect, it } from 'vitest';
import { clockFromEnv, ManualClock, ScaledClock, systemClock } from './index.ts';

describe('systemClock', () => {
  it('tracks Date.now and sleeps for at least the asked time', async () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(50);
    expect(systemClock.date()).toBeInstanceOf(Date);
    const t0 = systemClock.now();
    const r0 = performance.now();
    await systemClock.sleep(30);
    expect(systemClock.now() - t0).toBeGreaterThanOrEqual(30);
    expect(performance.now() - r0).toBeGreaterThanOrEqual(29);
  });

  it('rejects a sleep with the abort reason and cancels timers', async () => {
    const ac = new AbortController();
    const p = systemClock.sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await expect(systemClock.sleep(1, AbortSignal.abort())).rejects.toBeDefined();
    let fired = false;
    systemClock.setTimer(5, () => { fired = true; }).cancel();
    await systemClock.sleep(20);
    expect(fired).toBe(false);
  });
});

describe('ScaledClock', () => {
  it('sleeping 60 s at 100x takes about 0.6 s of real time and advances now() by at least 60 s', async () => {
    const clock = new ScaledClock(100);
    const virtual0 = clock.now();
    const real0 = performance.now();
    await clock.sleep(60_000);
    const realMs = performance.now() - real0;
    const virtualMs = clock.now() - virtual0;
    expect(virtualMs).toBeGreaterThanOrEqual(60_000);
    expect(realMs).toBeGreaterThanOrEqual(590);
    expect(realMs).toBeLessThan(3_000);
    // now() is the same linear function of real time the sleep used.
    expect(virtualMs / realMs).toBeGreaterThan(95);
    expect(virtualMs / realMs).toBeLessThan(105);
  });

  it('starts at the given origin and never goes backwards', () => {
    const clock = new ScaledClock(1000, { origin: Date.UTC(2030, 0, 1) });
    let prev = clock.now();
    expect(prev - Date.UTC(2030, 0, 1)).toBeLessThan(5_000);
    for (let i = 0; i < 1000; i++) {
      const t = clock.now();
      expect(t).toBeGreaterThanOrEqual(prev);
      prev = t;
    }
  });

  it('sleepUntil wakes at the deadline and timers fire in deadline order', async () => {
    const clock = new ScaledClock(1000);
    const order: number[] = [];
    // Absolute deadlines: at 1000x, a real millisecond between two relative setTimer calls (a GC pause on a busy
    // machine) is a virtual second, which would reorder the deadlines themselves.
    const base = clock.now();
    clock.setTimerAt(base + 3_000, () => order.push(3));
    clock.setTimerAt(base + 1_000, () => order.push(1));
    clock.setTimerAt(base + 2_000, () => order.push(2));
    const firedAt: number[] = [];
    const start = clock.now();
    clock.setTimer(2_500, () => firedAt.push(clock.now()));
    const at = clock.now() + 5_000;
    await clock.sleepUntil(at);
    expect(clock.now()).toBeGreaterThanOrEqual(at);
    expect(order).toEqual([1, 2, 3]);
    expect(firedAt).toHaveLength(1);
    expect(firedAt[0]).toBeGreaterThanOrEqual(start + 2_500);
  });

  it('fires deadlines closer together than a real millisecond in deadline order', async () => {
    // At 10,000x a real millisecond is 10 virtual seconds: 200 deadlines 3 virtual ms apart all fall
    // inside one real timer tick, so only the clock's own queue can keep them in order.
    const clock = new ScaledClock(10_000);
    const fired: number[] = [];
    const deadlines = Array.from({ length: 200 }, (_, i) => ((i * 7919) % 200) * 3); // shuffled
    const base = clock.now() + 20_000;
    for (const d of deadlines) clock.setTimerAt(base + d, () => fired.push(d));
    const cancelled = clock.setTimerAt(base + 300.5, () => fired.push(-1));
    cancelled.cancel();
    await clock.sleepUntil(base + 1_000);
    expect(fired).toEqual([...deadlines].sort((a, b) => a - b));
  });

  it('refuses a non-positive factor', () => {
    expect(() => new ScaledClock(0)).toThrow(/positive/);
    expect(() => new ScaledClock(Number.NaN)).toThrow(/positive/);
  });

  it('clockFromEnv reads GOD_TIME_SCALE', () => {
    expect(clockFromEnv({})).toBe(systemClock);
    const c = clockFromEnv({ GOD_TIME_SCALE: '50' });
    expect(c).toBeInstanceOf(ScaledClock);
    expect((c as ScaledClock).factor).toBe(50);
    expect(() => clockFromEnv({ GOD_TIME_SCALE: 'fast' })).toThrow(/GOD_TIME_SCALE/);
  });
});

describe('ManualClock', () => {
  it('stands still until advanced, then wakes sleepers in deadline order with now() at each deadline', async () => {
    const clock = new ManualClock(1_000);
    const woke: [string, number][] = [];
    void clock.sleep(300).then(() => woke.push(['c', clock.now()]));
    void clock.sleep(100).then(() => woke.push(['a', clock.now()]));
    void clock.sleep(100).then(() => woke.push(['b', clock.now()]));
    void clock.sleep(900).then(() => woke.push(['late', clock.now()]));
    await clock.advance(50);
    expect(woke).toEqual([]);
    expect(clock.now()).toBe(1_050);
    await clock.advance(250);
    expect(woke).toEqual([['a', 1_100], ['b', 1_100], ['c', 1_300]]);
    expect(clock.now()).toBe(1_300);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(1_900);
  });

  it('wakes a loop repeatedly within one advance', async () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const ac = new AbortController();
    const loop = (async () => {
      try {
        while (true) {
          await clock.sleep(10, ac.signal);
          ticks.push(clock.now());
        }
      } catch {
        return 'stopped';
      }
    })();
    await clock.advance(35);
    expect(ticks).toEqual([10, 20, 30]);
    ac.abort();
    await expect(loop).resolves.toBe('stopped');
    expect(clock.pending).toBe(0);
  });

  it('cancelled timers do not fire; runAll jumps to each deadline', async () => {
    const clock = new ManualClock(new Date(Date.UTC(2025, 0, 1)));
    const fired: string[] = [];
    const t = clock.setTimer(10, () => fired.push('x'));
    clock.setTimer(20, () => fired.push('y'));
    clock.setTimer(5_000, () => fired.push('z'));
    t.cancel();
    expect(await clock.runAll()).toBe(2);
    expect(fired).toEqual(['y', 'z']);
    expect(clock.date().toISOString()).toBe('2025-01-01T00:00:05.000Z');
  });

  it('sleepUntil, abort and refusing to go backwards', async () => {
    const clock = new ManualClock(0);
    let done = false;
    void clock.sleepUntil(500).then(() => { done = true; });
    await clock.advanceTo(499);
    expect(done).toBe(false);
    await clock.advanceTo(500);
    expect(done).toBe(true);
    const ac = new AbortController();
    const p = clock.sleep(100, ac.signal);
    ac.abort(new Error('bye'));
    await expect(p).rejects.toThrow('bye');
    expect(clock.pending).toBe(0);
    await expect(clock.advanceTo(1)).rejects.toThrow(/back in time/);
    await expect(clock.advance(-1)).rejects.toThrow(/non-negative/);
  });
});
