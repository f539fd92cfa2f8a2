CREATE TABLE "pending_settlements" (
	"payment_id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"currency" char(3) NOT NULL,
	"amount" bigint NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"released_at" timestamp (3) with time zone,
	"release_transaction_id" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "pending_settlements_amount_not_negative" CHECK ("pending_settlements"."amount" >= 0),
	CONSTRAINT "pending_settlements_release_when_released" CHECK ("pending_settlements"."release_transaction_id" IS NULL OR "pending_settlements"."released_at" IS NOT NULL)
);
--> statement-breakpoint
ALTER TABLE "pending_settlements" ADD CONSTRAINT "pending_settlements_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_settlements" ADD CONSTRAINT "pending_settlements_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_settlements" ADD CONSTRAINT "pending_settlements_release_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("release_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pending_settlements_due_idx" ON "pending_settlements" USING btree ("due_at") WHERE released_at IS NULL;--> statement-breakpoint
CREATE INDEX "pending_settlements_release_idx" ON "pending_settlements" USING btree ("release_transaction_id") WHERE release_transaction_id IS NOT NULL;