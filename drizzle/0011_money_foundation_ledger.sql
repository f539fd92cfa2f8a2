-- Issue 16's ledger model: a ledger transaction may name the payout or dispute it moves (no foreign keys until the
-- payouts and disputes tables exist; their migrations add them). Each (payout, kind) and (dispute, kind) is recorded
-- once, and a payment's once-index leaves out its dispute's transactions, which name the payment too.
DROP INDEX "ledger_transactions_payment_once";--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD COLUMN "payout_id" text;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD COLUMN "dispute_id" text;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_payout_once" ON "ledger_transactions" USING btree ("payout_id","kind") WHERE payout_id IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_dispute_once" ON "ledger_transactions" USING btree ("dispute_id","kind") WHERE dispute_id IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transactions_payment_once" ON "ledger_transactions" USING btree ("payment_id","kind") WHERE refund_id IS NULL AND dispute_id IS NULL;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_one_owner" CHECK ("ledger_transactions"."payout_id" IS NULL OR "ledger_transactions"."dispute_id" IS NULL);--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_payout_named" CHECK ("ledger_transactions"."kind" NOT IN ('payout_created', 'payout_paid', 'payout_failed') OR "ledger_transactions"."payout_id" IS NOT NULL);--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_dispute_named" CHECK ("ledger_transactions"."kind" NOT IN ('dispute_opened', 'dispute_won', 'dispute_lost') OR "ledger_transactions"."dispute_id" IS NOT NULL);