import { sql } from 'drizzle-orm';
import { CombinedWrite } from './combined-write';
import type { Tx } from './database';
import { isStatement, runStatement, shiftParameters, sqlStringLiteral, statement, statementOf } from './statement';

/** A transaction whose client records what it is sent and answers `rows`. */
function recordingTx(rows: Record<string, unknown>[] = [{}]) {
  const sent: { text: string; values: unknown[] }[] = [];
  const client = {
    // The values beside the config, where the connection's statement naming looks for them.
    query: (config: { text: string; values?: unknown }, values: unknown[]) => {
      expect(config.values).toBeUndefined();
      sent.push({ text: config.text, values });
      return Promise.resolve({ rows, rowCount: rows.length });
    },
  };
  return { tx: { _: { session: { client } } } as unknown as Tx, sent };
}

const selectById = (id: string) => statement`SELECT * FROM t WHERE id = ${id}`;

describe('statement', () => {
  it('numbers every interpolation as a parameter, in order, and keeps the values as they are', () => {
    const ids = ['a', 'b'];
    const amounts = ['1', '2'];
    const query = statement`SELECT * FROM unnest(${ids}::text[], ${amounts}::bigint[]) WHERE x = ${ids}`;
    expect(query.text).toBe('SELECT * FROM unnest($1::text[], $2::bigint[]) WHERE x = $3');
    expect(query.values).toEqual([ids, amounts, ids]);
    expect(query.values[0]).toBe(ids);
  });

  it('joins the text once per call site: every call of one site gives the same string', () => {
    const first = selectById('a');
    const second = selectById('b');
    expect(second.text).toBe(first.text);
    expect(Object.is(first.text, second.text)).toBe(true);
    expect(second.values).toEqual(['b']);
    expect(statement`SELECT 1`.text).toBe('SELECT 1');
    expect(statement`SELECT 1`.values).toEqual([]);
  });

  it('refuses a nested statement or Drizzle sql: it would be sent as a value', () => {
    expect(() => statement`SELECT ${selectById('a')}`).toThrow(TypeError);
    expect(() => statement`SELECT ${sql`1`}`).toThrow(TypeError);
  });

  it('tells a statement from other values', () => {
    expect(isStatement(selectById('a'))).toBe(true);
    expect(isStatement({ text: 'x' })).toBe(false);
    expect(isStatement(['text'])).toBe(false);
    expect(isStatement(null)).toBe(false);
  });
});

describe('statementOf', () => {
  it('compiles a Drizzle sql to its text and parameters, and gives a statement back as it is', () => {
    const compiled = statementOf(sql`SELECT ${1} + ${sql.param([2, 3])}`);
    expect(compiled).toEqual({ text: 'SELECT $1 + $2', values: [1, [2, 3]] });
    const query = selectById('a');
    expect(statementOf(query)).toBe(query);
  });
});

describe('shiftParameters', () => {
  it('renumbers every parameter, two-digit ones included, and nothing else', () => {
    expect(shiftParameters('SELECT $1, $2, $10 FROM t', 3)).toBe('SELECT $4, $5, $13 FROM t');
    expect(shiftParameters("SELECT '$' || $1", 1)).toBe("SELECT '$' || $2");
    const text = 'SELECT $1';
    expect(shiftParameters(text, 0)).toBe(text);
  });
});

describe('sqlStringLiteral', () => {
  it('quotes, doubling quotes inside', () => {
    expect(sqlStringLiteral('outbox')).toBe("'outbox'");
    expect(sqlStringLiteral("it's")).toBe("'it''s'");
  });
});

describe('runStatement', () => {
  it('sends the text and values on the transaction’s client, and wraps a failure with the driver’s error as cause', async () => {
    const { tx, sent } = recordingTx([{ one: 1 }]);
    const result = await runStatement(tx, selectById('a'));
    expect(result.rows).toEqual([{ one: 1 }]);
    expect(sent).toEqual([{ text: 'SELECT * FROM t WHERE id = $1', values: ['a'] }]);
    const failure = Object.assign(new Error('duplicate key'), { code: '23505' });
    const failing = { _: { session: { client: { query: () => Promise.reject(failure) } } } } as unknown as Tx;
    await expect(runStatement(failing, selectById('a'))).rejects.toMatchObject({ cause: { code: '23505' } });
  });

  it('refuses a handle with no node-postgres client', async () => {
    await expect(runStatement({ _: { session: {} } }, selectById('a'))).rejects.toThrow(/no node-postgres client/);
  });
});

describe('CombinedWrite (the statement it sends)', () => {
  const insertNotes = (ids: string[]) => statement`INSERT INTO notes (id) SELECT * FROM unnest(${ids}::text[])`;
  const insertParents = (ids: string[], names: string[]) =>
    statement`INSERT INTO parents (id, name) SELECT * FROM unnest(${ids}::text[], ${names}::text[]) RETURNING id`;

  it('numbers each part after the values of those before it, with the tails on the part’s rows', async () => {
    const { tx, sent } = recordingTx([{ combined_1_result: '2' }]);
    const writes = new CombinedWrite(tx);
    const seen: unknown[] = [];
    writes.add(insertNotes(['n1']));
    writes.add(insertParents(['p1', 'p2'], ['one', 'two']), {
      tail: '(SELECT count(*) FROM {rows})',
      check: (value) => seen.push(value),
    });
    writes.add(sql`DELETE FROM notes WHERE id = ${'n0'}`);
    await writes.run();
    expect(sent).toHaveLength(1);
    expect(sent[0]!.text).toBe(
      'WITH combined_0 AS (INSERT INTO notes (id) SELECT * FROM unnest($1::text[])), ' +
        'combined_1 AS (INSERT INTO parents (id, name) SELECT * FROM unnest($2::text[], $3::text[]) RETURNING id), ' +
        'combined_2 AS (DELETE FROM notes WHERE id = $4) ' +
        'SELECT (SELECT count(*) FROM combined_1) AS combined_1_result',
    );
    expect(sent[0]!.values).toEqual([['n1'], ['p1', 'p2'], ['one', 'two'], 'n0']);
    expect(seen).toEqual(['2']);
  });

  it('makes the combined text once per sequence of parts: a later run of the same parts sends the same string', async () => {
    const { tx, sent } = recordingTx();
    for (const id of ['a', 'b']) {
      const writes = new CombinedWrite(tx);
      writes.add(insertNotes([id]));
      writes.add(insertParents([id], [id]));
      await writes.run();
    }
    expect(Object.is(sent[0]!.text, sent[1]!.text)).toBe(true);
    expect(sent[1]!.values).toEqual([['b'], ['b'], ['b']]);
    // Another sequence of the same parts is another statement.
    const writes = new CombinedWrite(tx);
    writes.add(insertParents(['c'], ['c']));
    writes.add(insertNotes(['c']));
    await writes.run();
    expect(sent[2]!.text).toMatch(
      /^WITH combined_0 AS \(INSERT INTO parents .*\$1::text\[\], \$2::text\[\].*combined_1 AS \(INSERT INTO notes .*\$3::text\[\]/,
    );
    expect(sent[2]!.text).toMatch(/ SELECT 1$/);
  });

  it('puts the parts without a result in front of a statement whose rows are read, numbered before it', async () => {
    const { tx, sent } = recordingTx([{ id: 'x' }]);
    const writes = new CombinedWrite(tx);
    writes.add(insertNotes(['n1']));
    writes.add(insertParents(['p1'], ['one']), { tail: '(SELECT count(*) FROM {rows})' });
    const rows = await writes.execute(selectById('x'));
    expect(rows).toEqual([{ id: 'x' }]);
    expect(sent[0]).toEqual({
      text:
        'WITH combined_0 AS (INSERT INTO notes (id) SELECT * FROM unnest($1::text[])) ' +
        'SELECT * FROM t WHERE id = $2',
      values: [['n1'], 'x'],
    });
    expect(writes.size).toBe(1);
    // Nothing waiting in front: the statement goes alone.
    await new CombinedWrite(tx).execute(selectById('y'));
    expect(sent[1]).toEqual({ text: 'SELECT * FROM t WHERE id = $1', values: ['y'] });
  });
});
