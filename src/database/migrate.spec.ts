import { isCreatedConcurrently } from './migrate';

describe('isCreatedConcurrently', () => {
  it('is true for "database already exists" (the other session had committed)', () => {
    expect(isCreatedConcurrently({ code: '42P04' })).toBe(true);
  });

  it("is true for a unique violation on pg_database's name index (both sessions were inserting)", () => {
    expect(isCreatedConcurrently({ code: '23505', constraint: 'pg_database_datname_index' })).toBe(true);
  });

  it('is false for a unique violation on any other index', () => {
    expect(isCreatedConcurrently({ code: '23505', constraint: 'payments_pkey' })).toBe(false);
    expect(isCreatedConcurrently({ code: '23505' })).toBe(false);
  });

  it('is false for other errors and for values that are not errors', () => {
    expect(isCreatedConcurrently({ code: '42501' })).toBe(false);
    expect(isCreatedConcurrently(new Error('connection refused'))).toBe(false);
    expect(isCreatedConcurrently(null)).toBe(false);
    expect(isCreatedConcurrently('42P04')).toBe(false);
  });
});
