/** Bucket counts, as a stock line or a ledger movement of the pool's HTTP API shows them. */
interface Buckets {
  available: number;
  reserved: number;
  assigned: number;
}

export interface PoolInvariant {
  /** Σ(available + reserved + assigned) over the partner's stock lines. */
  held: number;
  /** Σ of what entered: purchases, points exchanges, recoveries. */
  credited: number;
  /** Σ of what lapsed (M4), from any bucket. */
  expired: number;
  /** Σ of what left assigned when contracts ended or were renewed. */
  unassigned: number;
  /** held = credited − expired − unassigned */
  holds: boolean;
}

const total = (items: Buckets[]): number => items.reduce((n, m) => n + m.available + m.reserved + m.assigned, 0);

/**
 * The pool invariant, for one partner: Σ(available + reserved + assigned) = Σ credited −
 * Σ expired − Σ unassigned, the stock from the pool itself and the rest from its own ledger.
 * Reservations, commits and releases only move licenses between buckets.
 */
export function poolInvariant(lines: Buckets[], movements: (Buckets & { reason: string })[]): PoolInvariant {
  const by = (...reasons: string[]) => movements.filter((m) => reasons.includes(m.reason));
  const held = total(lines);
  const credited = total(by('purchase', 'points', 'recovery'));
  // 0 − x rather than −x: an empty sum would be −0, which toEqual tells from 0.
  const expired = 0 - total(by('expired'));
  const unassigned = 0 - total(by('unassigned'));
  return { held, credited, expired, unassigned, holds: held === credited - expired - unassigned };
}

/**
 * Reads a partner's stock (`GET …/pool`) and its whole ledger (`GET …/pool/movements`, every page)
 * through `get` (a JSON GET with the caller's credentials, in process or over the network) and
 * computes the pool invariant. The ledger trails the pool by the projection's lag: wait for it to
 * catch up (or retry) before asserting.
 */
export async function readPoolInvariant(get: (path: string) => Promise<unknown>, partnerId: string): Promise<PoolInvariant> {
  const pool = (await get(`/partners/${partnerId}/pool`)) as { lines: Buckets[] };
  const movements: (Buckets & { reason: string })[] = [];
  let cursor: string | null = null;
  do {
    const page = (await get(`/partners/${partnerId}/pool/movements?limit=200${cursor ? `&cursor=${cursor}` : ''}`)) as {
      items: (Buckets & { reason: string })[];
      nextCursor: string | null;
    };
    movements.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return poolInvariant(pool.lines, movements);
}
