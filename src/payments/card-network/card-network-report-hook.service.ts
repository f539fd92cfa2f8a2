import { Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { AppConfig } from '../../config/app-config';
import { Database } from '../../database/database';
import type { SettlementReportLine } from './card-network.port';
import { utcDayRange } from './settlement-report';

/**
 * The simulator's test hook: drops, adds or alters lines of a day's settlement report, so tests can make the
 * network's records disagree with the ledger. Stored in PostgreSQL (card_network_report_adjustments), so it holds
 * for every process that reads the report. Refused unless CARD_NETWORK_TEST_HOOKS is on (NODE_ENV=test turns it on;
 * production refuses it at start).
 */
@Injectable()
export class CardNetworkReportHook {
  constructor(
    private readonly config: AppConfig,
    private readonly database: Database,
  ) {}

  /** The line with this network reference leaves the day's report. */
  drop(day: string, networkReference: string): Promise<void> {
    return this.adjust(day, 'drop', networkReference, null);
  }

  /** A line the network's journal does not have is added to the day's report. */
  add(day: string, line: SettlementReportLine): Promise<void> {
    return this.adjust(day, 'add', null, line);
  }

  /** Fields of the line with this network reference change in the day's report (its reference stays). */
  alter(day: string, networkReference: string, changes: Partial<SettlementReportLine>): Promise<void> {
    return this.adjust(day, 'alter', networkReference, changes);
  }

  /** The day's report is the journal's again. */
  async clear(day: string): Promise<void> {
    this.assertOn();
    await this.database.db.execute(sql`DELETE FROM card_network_report_adjustments WHERE day = ${day}`);
  }

  private async adjust(
    day: string,
    action: 'drop' | 'add' | 'alter',
    reference: string | null,
    line: Partial<SettlementReportLine> | null,
  ): Promise<void> {
    this.assertOn();
    if (!utcDayRange(day)) throw new RangeError(`not a day: ${JSON.stringify(day)} (YYYY-MM-DD)`);
    await this.database.db.execute(sql`
      INSERT INTO card_network_report_adjustments (day, action, reference, line)
      VALUES (${day}, ${action}, ${reference}, ${line === null ? null : JSON.stringify(line)}::jsonb)`);
  }

  private assertOn(): void {
    if (!this.config.cardNetworkTestHooks) {
      throw new Error('the card network report hook is off (CARD_NETWORK_TEST_HOOKS, on with NODE_ENV=test)');
    }
  }
}
