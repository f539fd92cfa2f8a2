import fc from 'fast-check';
import { settlingRows } from './authorization-settlement';

const row = (id: string) => ({ id, status: 'processing' });

describe('settlingRows', () => {
  it('gives each item the locked row of its payment, in the items order', () => {
    const locked = [row('pay_a'), row('pay_b'), row('pay_c')];
    expect(settlingRows(['pay_c', 'pay_a', 'pay_b'], locked)).toEqual([row('pay_c'), row('pay_a'), row('pay_b')]);
  });

  it('moves a payment named twice in one batch once: the first item gets it, the other changes nothing', () => {
    expect(settlingRows(['pay_a', 'pay_b', 'pay_a', 'pay_a'], [row('pay_b'), row('pay_a')])).toEqual([
      row('pay_a'),
      row('pay_b'),
      null,
      null,
    ]);
  });

  it('changes nothing for a payment that was not locked (no longer processing, or unknown)', () => {
    expect(settlingRows(['pay_final', 'pay_a', 'pay_unknown'], [row('pay_a')])).toEqual([null, row('pay_a'), null]);
    expect(settlingRows(['pay_a'], [])).toEqual([null]);
    expect(settlingRows([], [row('pay_a')])).toEqual([]);
  });

  it('moves every locked payment named at least once exactly once, and nothing else', () => {
    const ids = fc.constantFrom<string>('pay_a', 'pay_b', 'pay_c', 'pay_d', 'pay_e');
    fc.assert(
      fc.property(fc.array(ids, { maxLength: 30 }), fc.uniqueArray(ids), (named, lockedIds) => {
        const moved = settlingRows(named, lockedIds.map(row));
        expect(moved).toHaveLength(named.length);
        const movedIds = moved.filter((entry) => entry !== null).map((entry) => entry.id);
        expect(new Set(movedIds).size).toBe(movedIds.length);
        expect(new Set(movedIds)).toEqual(new Set(lockedIds.filter((id) => named.includes(id))));
        moved.forEach((entry, index) => {
          if (entry) expect(entry.id).toBe(named[index]);
          if (entry) expect(named.indexOf(entry.id)).toBe(index);
        });
      }),
    );
  });
});
