import { describe, expect, it } from 'vitest';
import { sortForDispatch } from './dispatch';

describe('sortForDispatch', () => {
  it('puts carried-over work first, then by urgency, then by number', () => {
    const wo = (number: string, urgency: string, carried_over = false) => ({ number, urgency, carried_over });
    const sorted = sortForDispatch([wo('WO-3', 'urgent'), wo('WO-1', 'low', true), wo('WO-2', 'normal'), wo('WO-4', 'urgent'), wo('WO-0', 'high', true)]);
    expect(sorted.map((w) => w.number)).toEqual(['WO-0', 'WO-1', 'WO-3', 'WO-4', 'WO-2']);
  });
  it('leaves its input alone', () => {
    const items = [{ number: 'b', urgency: 'low', carried_over: false }, { number: 'a', urgency: 'low', carried_over: false }];
    sortForDispatch(items);
    expect(items[0].number).toBe('b');
  });
});
