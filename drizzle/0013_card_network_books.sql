-- Issue 16 part 1: the card network simulator's own books (journal, disputes) and its report test hook; written only by
-- the simulator, never by ledger code.
CREATE TABLE "card_network_disputes" (
	"reference" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"authorization_reference" text NOT NULL,
	"opens_at" timestamp (3) with time zone,
	"evidence_due_by" timestamp (3) with time zone,
	"amount" bigint,
	"currency" char(3) NOT NULL,
	"reason" text DEFAULT 'fraudulent' NOT NULL,
	"dispute_id" text,
	"acknowledged_at" timestamp (3) with time zone,
	"evidence_text" text,
	"evidence_submitted_at" timestamp (3) with time zone,
	"decision" text,
	"decided_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "card_network_disputes_paymentId_unique" UNIQUE("payment_id"),
	CONSTRAINT "card_network_disputes_disputeId_unique" UNIQUE("dispute_id"),
	CONSTRAINT "card_network_disputes_decision_known" CHECK ("card_network_disputes"."decision" IS NULL OR "card_network_disputes"."decision" IN ('won', 'lost'))
);
--> statement-breakpoint
CREATE TABLE "card_network_journal" (
	"reference" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"type" text NOT NULL,
	"payment_id" text NOT NULL,
	"refund_id" text,
	"dispute_id" text,
	"related_reference" text,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "card_network_journal_idempotencyKey_unique" UNIQUE("idempotency_key"),
	CONSTRAINT "card_network_journal_type_known" CHECK ("card_network_journal"."type" IN ('capture', 'refund', 'dispute', 'fee')),
	CONSTRAINT "card_network_journal_amount_positive" CHECK ("card_network_journal"."amount" > 0)
);
--> statement-breakpoint
CREATE TABLE "card_network_report_adjustments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"day" text NOT NULL,
	"action" text NOT NULL,
	"reference" text,
	"line" jsonb,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "card_network_disputes_opening_idx" ON "card_network_disputes" USING btree ("opens_at") WHERE acknowledged_at IS NULL;--> statement-breakpoint
CREATE INDEX "card_network_journal_created_idx" ON "card_network_journal" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "card_network_journal_payment_idx" ON "card_network_journal" USING btree ("payment_id");