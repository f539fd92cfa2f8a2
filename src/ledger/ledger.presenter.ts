import { z } from 'zod';
import { listSchemaOf } from '../common/pagination';
import { apiComponent } from '../openapi/api-components';

const balanceAmountSchema = z.strictObject({
  currency: z.string().meta({ description: 'ISO 4217, upper case.' }),
  amount: z.number().int().meta({ description: 'Minor units.' }),
});

/** API.md's balance: one amount per currency the merchant has an account in, by currency. */
export const balanceSchema = apiComponent(
  'Balance',
  z.strictObject({
    object: z.literal('balance'),
    available: z
      .array(balanceAmountSchema)
      .meta({ description: 'Captured money net of fees and refunds, available for payouts.' }),
    pending: z
      .array(balanceAmountSchema)
      .meta({ description: 'Captured money not yet available (with a settlement delay); empty by default.' }),
  }),
);
export type BalanceObject = z.output<typeof balanceSchema>;

/** One line (posting) of a balanced ledger transaction on one of the merchant's accounts. */
export const ledgerEntrySchema = apiComponent(
  'LedgerEntry',
  z.strictObject({
    id: z.string().meta({ description: 'lp_…' }),
    object: z.literal('ledger_entry'),
    transaction_id: z.string().meta({ description: 'ltx_…: the lines of one transaction sum to zero.' }),
    transaction_type: z.string().meta({
      description: '`payment_capture`, `refund`, `settlement_release`, `payout_created`, `dispute_opened`, …',
    }),
    account: z.string().meta({
      description:
        'The merchant account: `merchant_available`, `merchant_pending`, `merchant_authorized`, ' +
        '`merchant_payouts_in_transit` or `merchant_dispute_reserve`.',
    }),
    direction: z.enum(['debit', 'credit']),
    amount: z.number().int().meta({ description: 'Signed minor units: positive is a debit, negative a credit.' }),
    currency: z.string().meta({ description: 'ISO 4217, upper case.' }),
    payment_id: z.string().nullable().meta({ description: 'pay_…: null on a settlement release (many payments).' }),
    refund_id: z.string().nullable(),
    payout_id: z.string().nullable().meta({ description: 'po_…: the payout this line moves the money of, if any.' }),
    dispute_id: z.string().nullable().meta({ description: 'dp_…: the dispute this line moves the money of, if any.' }),
    created_at: z.string().meta({ description: 'ISO 8601 UTC.' }),
  }),
);
export type LedgerEntryObject = z.output<typeof ledgerEntrySchema>;

export const ledgerEntryListSchema = apiComponent('LedgerEntryList', listSchemaOf(ledgerEntrySchema));
