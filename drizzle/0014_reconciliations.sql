-- Issue 16 part 4: the result of each UTC day's reconciliation (a rerun replaces the day), and the ledger's transactions by time
-- for the days a reconciliation reads.
CREATE TABLE "reconciliations" (
	"date" date PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"matched" integer NOT NULL,
	"missing_in_ledger" jsonb NOT NULL,
	"missing_in_ledger_count" integer NOT NULL,
	"missing_in_report" jsonb NOT NULL,
	"missing_in_report_count" integer NOT NULL,
	"amount_mismatches" jsonb NOT NULL,
	"amount_mismatches_count" integer NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reconciliations_status_known" CHECK ("reconciliations"."status" IN ('matched', 'discrepancies')),
	CONSTRAINT "reconciliations_counts_not_negative" CHECK ("reconciliations"."matched" >= 0 AND "reconciliations"."missing_in_ledger_count" >= 0 AND "reconciliations"."missing_in_report_count" >= 0 AND "reconciliations"."amount_mismatches_count" >= 0)
);
--> statement-breakpoint
CREATE INDEX "reconciliations_created_idx" ON "reconciliations" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "ledger_transactions_created_idx" ON "ledger_transactions" USING btree ("created_at");