import { z } from 'zod';
import { listSchemaOf } from '../common/pagination';
import { apiComponent } from '../openapi/api-components';
import { RECONCILIATION_ITEM_TYPES } from './reconciliation-match';

/** One discrepancy: a movement the network reported and the ledger has not, the other way round, or both apart. */
export const reconciliationItemSchema = apiComponent(
  'ReconciliationItem',
  z.strictObject({
    type: z.enum(RECONCILIATION_ITEM_TYPES),
    payment_id: z.string().nullable().meta({ description: 'pay_…' }),
    refund_id: z.string().nullable().meta({ description: 're_…: on a refund.' }),
    dispute_id: z.string().nullable().meta({ description: 'dp_…: on a lost dispute and the network’s fee on it.' }),
    network_reference: z
      .string()
      .nullable()
      .meta({ description: 'The network’s reference of its report line; null when the report has no line for it.' }),
    expected_amount: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Minor units the ledger recorded; null when the ledger has no record of it.' }),
    reported_amount: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'Minor units the network reported; null when the report has no line for it.' }),
    currency: z.string().meta({ description: 'ISO 4217, upper case.' }),
  }),
);
export type ReconciliationItemObject = z.output<typeof reconciliationItemSchema>;

const itemsListed = (what: string) =>
  z.array(reconciliationItemSchema).meta({ description: `${what}: at most 100 items (the count field is the total).` });
const itemsCounted = (what: string) =>
  z
    .number()
    .int()
    .min(0)
    .meta({ description: `How many ${what} were found.` });

/** API.md "Reconciliation": the result of one UTC day. */
export const reconciliationSchema = apiComponent(
  'Reconciliation',
  z.strictObject({
    object: z.literal('reconciliation'),
    date: z.string().meta({ description: 'The UTC day reconciled, YYYY-MM-DD.' }),
    status: z.enum(['matched', 'discrepancies']),
    matched: z
      .number()
      .int()
      .min(0)
      .meta({ description: 'Lines of the day’s report that the ledger recorded at the same amount.' }),
    missing_in_ledger: itemsListed('Lines of the day’s report the ledger has no record of'),
    missing_in_ledger_count: itemsCounted('lines missing in the ledger'),
    missing_in_report: itemsListed('Ledger records of the day no report line covers'),
    missing_in_report_count: itemsCounted('records missing in the report'),
    amount_mismatches: itemsListed('Lines of the day’s report whose amount differs from the ledger’s'),
    amount_mismatches_count: itemsCounted('amount mismatches'),
    created_at: z.string().meta({ description: 'ISO 8601 UTC: when this result was made (a rerun replaces it).' }),
  }),
);
export type ReconciliationObject = z.output<typeof reconciliationSchema>;

export const reconciliationListSchema = apiComponent('ReconciliationList', listSchemaOf(reconciliationSchema));
