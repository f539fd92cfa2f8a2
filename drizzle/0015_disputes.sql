-- Issue 16 part 5: disputes (one per payment, recorded once per network dispute), payments.disputed, and the foreign
-- key of ledger_transactions.dispute_id that migration 0011 left for this table.
CREATE TYPE "public"."dispute_status" AS ENUM('needs_response', 'under_review', 'won', 'lost');--> statement-breakpoint
CREATE TABLE "disputes" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"network_reference" text NOT NULL,
	"amount" bigint NOT NULL,
	"fee" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"status" "dispute_status" NOT NULL,
	"reason" text NOT NULL,
	"evidence_text" text,
	"evidence_submitted_at" timestamp (3) with time zone,
	"evidence_due_by" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "disputes_paymentId_unique" UNIQUE("payment_id"),
	CONSTRAINT "disputes_networkReference_unique" UNIQUE("network_reference"),
	CONSTRAINT "disputes_amount_positive" CHECK ("disputes"."amount" > 0),
	CONSTRAINT "disputes_fee_not_negative" CHECK ("disputes"."fee" >= 0),
	CONSTRAINT "disputes_evidence_whole" CHECK (("disputes"."evidence_text" IS NULL) = ("disputes"."evidence_submitted_at" IS NULL))
);
--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "disputed" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "disputes" ADD CONSTRAINT "disputes_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "disputes_merchant_created_idx" ON "disputes" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "disputes_merchant_status_created_idx" ON "disputes" USING btree ("merchant_id","status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_dispute_id_disputes_id_fk" FOREIGN KEY ("dispute_id") REFERENCES "public"."disputes"("id") ON DELETE no action ON UPDATE no action;