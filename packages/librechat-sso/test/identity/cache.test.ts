import { BoundedCache } from '../../src/identity/cache';

describe('BoundedCache', () => {
  it('never holds more than max entries, dropping the least recently used first', () => {
    const c = new BoundedCache<string, number>(3, 60_000);
    for (let i = 0; i < 100_000; i++) c.set(`k${i}`, i);
    expect(c.size).toBe(3);
    expect(c.get('k99999')).toBe(99999);
    expect(c.get('k0')).toBeUndefined();
    c.get('k99997'); // now the most recent
    c.set('new', 1);
    expect(c.get('k99998')).toBeUndefined();
    expect(c.get('k99997')).toBe(99997);
  });

  it('forgets an entry when its time is up (clock injected)', () => {
    let now = 1_000;
    const c = new BoundedCache<string, string>(10, 500, () => now);
    c.set('a', 'x');
    now += 499;
    expect(c.get('a')).toBe('x');
    now += 1;
    expect(c.get('a')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('stores nothing when turned off', () => {
    const c = new BoundedCache<string, string>(0, 500);
    c.set('a', 'x');
    expect(c.get('a')).toBeUndefined();
  });
});
