import { Injectable } from '@nestjs/common';
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import { apiErrors } from '../common/errors/api-error';
import type { ListObject } from '../common/pagination';
import { pageOf } from '../common/pagination';
import { Database } from '../database/database';
import { reconciliations } from '../database/schema';
import { LedgerService } from '../ledger/ledger.service';
import { CardNetwork, CardNetworkUnavailableError } from '../payments/card-network/card-network.port';
import { dayAfter, dayRange } from './reconciliation-day';
import {
  type MatchResult,
  reconcileDay,
  reconciledLedgerKinds,
  type ReconciliationItem,
  reconciliationStatus,
} from './reconciliation-match';
import type { ReconciliationItemObject, ReconciliationObject } from './reconciliation.presenter';
import { reconciliationLimits } from './reconciliation.limits';
import { ReconciliationRuns } from './reconciliation-runs.metrics';
import type { ListReconciliationsQuery } from './reconciliation.schemas';

type ReconciliationRow = typeof reconciliations.$inferSelect;

function present(row: ReconciliationRow): ReconciliationObject {
  return {
    object: 'reconciliation',
    date: row.date,
    status: row.status as ReconciliationObject['status'],
    matched: row.matched,
    missing_in_ledger: row.missingInLedger as ReconciliationItemObject[],
    missing_in_ledger_count: row.missingInLedgerCount,
    missing_in_report: row.missingInReport as ReconciliationItemObject[],
    missing_in_report_count: row.missingInReportCount,
    amount_mismatches: row.amountMismatches as ReconciliationItemObject[],
    amount_mismatches_count: row.amountMismatchesCount,
    created_at: row.createdAt.toISOString(),
  };
}

const kept = (items: readonly ReconciliationItem[]) => items.slice(0, reconciliationLimits.itemsStoredMax);

/**
 * Reconciles a UTC day: the card network's settlement reports (the day and its neighbours) against the ledger's
 * movements with the network (reconciliation-match.ts decides), and stores the result, replacing the day's last one.
 */
@Injectable()
export class ReconciliationService {
  constructor(
    private readonly database: Database,
    private readonly ledger: LedgerService,
    private readonly network: CardNetwork,
    private readonly runs: ReconciliationRuns,
  ) {}

  /** Runs (or reruns) `day`, a calendar day (callers validate it); the network out of reach is a 503. */
  async run(day: string): Promise<ReconciliationObject> {
    const range = dayRange(day);
    if (!range) throw new RangeError(`not a day: ${JSON.stringify(day)} (YYYY-MM-DD)`);
    const report = (of: string) => this.network.settlementReport(of);
    const [previous, ofDay, next] = await this.reachingNetwork(() =>
      Promise.all([report(dayAfter(day, -1)), report(day), report(dayAfter(day, 1))]),
    );
    const movements = await this.ledger.networkMovements(
      [...reconciledLedgerKinds.keys()],
      { from: new Date(range.start.getTime() - 86_400_000), to: new Date(range.end.getTime() + 86_400_000) },
      reconciliationLimits.ledgerMovementsReadMax,
    );
    const result = reconcileDay({ day: range, reports: { previous, day: ofDay, next }, ledger: movements });
    const stored = await this.store(day, result);
    const reconciliation = present(stored);
    this.runs.counted(reconciliation.status);
    return reconciliation;
  }

  /** The day's stored result; a day not reconciled is a 404. */
  async get(day: string): Promise<ReconciliationObject> {
    const [row] = await this.database.db.select().from(reconciliations).where(eq(reconciliations.date, day)).limit(1);
    if (!row) throw apiErrors.resourceMissing('reconciliation', day);
    return present(row);
  }

  /** The reconciled days, newest day first. */
  async list(query: ListReconciliationsQuery): Promise<ListObject<ReconciliationObject>> {
    const after: SQL | undefined =
      query.starting_after === undefined ? undefined : lt(reconciliations.date, query.starting_after);
    const rows = await this.database.db
      .select()
      .from(reconciliations)
      .where(and(after))
      .orderBy(desc(reconciliations.date))
      .limit(query.limit + 1);
    return pageOf(rows, query.limit, present);
  }

  /** The result of the last run (whatever its day), and the newest day reconciled; null while none ran. */
  async latest(): Promise<{ lastRun: ReconciliationObject; newestDay: string } | null> {
    const [lastRun] = await this.database.db
      .select()
      .from(reconciliations)
      .orderBy(desc(reconciliations.createdAt), desc(reconciliations.date))
      .limit(1);
    const [newest] = await this.database.db
      .select({ date: reconciliations.date })
      .from(reconciliations)
      .orderBy(desc(reconciliations.date))
      .limit(1);
    return lastRun && newest ? { lastRun: present(lastRun), newestDay: newest.date } : null;
  }

  /** The network out of reach is the contract's 503: the run may be asked again. */
  private async reachingNetwork<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof CardNetworkUnavailableError) throw apiErrors.serviceUnavailable('The card network');
      throw error;
    }
  }

  private async store(day: string, result: MatchResult): Promise<ReconciliationRow> {
    const values = {
      status: reconciliationStatus(result),
      matched: result.matched,
      missingInLedger: kept(result.missing_in_ledger),
      missingInLedgerCount: result.missing_in_ledger.length,
      missingInReport: kept(result.missing_in_report),
      missingInReportCount: result.missing_in_report.length,
      amountMismatches: kept(result.amount_mismatches),
      amountMismatchesCount: result.amount_mismatches.length,
    };
    const [row] = await this.database.db
      .insert(reconciliations)
      .values({ date: day, ...values })
      .onConflictDoUpdate({ target: reconciliations.date, set: { ...values, createdAt: new Date() } })
      .returning();
    return row!;
  }
}
