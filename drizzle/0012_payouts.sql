-- Payouts (issue 16): the payouts table (one automatic payout per merchant, currency and schedule period), the
-- merchants' payout schedule, and the foreign key from ledger_transactions.payout_id that migration 0011 left for it.
CREATE TYPE "public"."payout_failure_code" AS ENUM('account_closed', 'could_not_process');--> statement-breakpoint
CREATE TYPE "public"."payout_method" AS ENUM('manual', 'automatic');--> statement-breakpoint
CREATE TYPE "public"."payout_schedule" AS ENUM('manual', 'daily', 'weekly');--> statement-breakpoint
CREATE TYPE "public"."payout_status" AS ENUM('pending', 'in_transit', 'paid', 'failed');--> statement-breakpoint
CREATE TABLE "payouts" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"status" "payout_status" NOT NULL,
	"method" "payout_method" NOT NULL,
	"failure_code" "payout_failure_code",
	"arrival_at" timestamp (3) with time zone NOT NULL,
	"description" text,
	"schedule_period" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "payouts_amount_positive" CHECK ("payouts"."amount" > 0),
	CONSTRAINT "payouts_failure_code_when_failed" CHECK (("payouts"."status" = 'failed') = ("payouts"."failure_code" IS NOT NULL)),
	CONSTRAINT "payouts_period_when_automatic" CHECK (("payouts"."method" = 'automatic') = ("payouts"."schedule_period" IS NOT NULL))
);
--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "payout_schedule" "payout_schedule" DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE "payouts" ADD CONSTRAINT "payouts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "payouts_merchant_created_idx" ON "payouts" USING btree ("merchant_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "payouts_merchant_status_created_idx" ON "payouts" USING btree ("merchant_id","status","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "payouts_schedule_period_once" ON "payouts" USING btree ("merchant_id","currency","schedule_period") WHERE schedule_period IS NOT NULL;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_payout_id_payouts_id_fk" FOREIGN KEY ("payout_id") REFERENCES "public"."payouts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "merchants_payout_schedule_idx" ON "merchants" USING btree ("payout_schedule","id") WHERE payout_schedule <> 'manual';