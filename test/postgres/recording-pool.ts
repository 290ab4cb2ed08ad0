/**
 * A pg pool whose clients record every statement they send; `literals: false` hides pg's
 * escapeLiteral (what another driver's client looks like), so the parameterized paths run.
 */
import type pg from 'pg';

export function recordingPool(pool: pg.Pool, literals: boolean): { pool: pg.Pool; sent: string[] } {
  const sent: string[] = [];
  const wrapped = {
    query: pool.query.bind(pool),
    end: () => pool.end(),
    async connect() {
      const c = await pool.connect();
      return {
        query: (text: string, values?: unknown[]) => {
          sent.push(text);
          return c.query(text, values);
        },
        release: (err?: boolean | Error) => c.release(err),
        ...(literals ? { escapeLiteral: (v: string) => c.escapeLiteral(v) } : {}),
      };
    },
  };
  return { pool: wrapped as unknown as pg.Pool, sent };
}
