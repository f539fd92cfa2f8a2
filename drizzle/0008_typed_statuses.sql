CREATE TYPE "public"."capture_method" AS ENUM('automatic', 'manual');--> statement-breakpoint
CREATE TYPE "public"."payment_status" AS ENUM('processing', 'requires_capture', 'succeeded', 'failed', 'canceled');--> statement-breakpoint
CREATE TYPE "public"."refund_status" AS ENUM('succeeded');--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_status_known";--> statement-breakpoint
ALTER TABLE "payments" DROP CONSTRAINT "payments_capture_method_known";--> statement-breakpoint
ALTER TABLE "refunds" DROP CONSTRAINT "refunds_status_known";--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "status" SET DATA TYPE "public"."payment_status" USING "status"::"public"."payment_status";--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "capture_method" SET DATA TYPE "public"."capture_method" USING "capture_method"::"public"."capture_method";--> statement-breakpoint
ALTER TABLE "refunds" ALTER COLUMN "status" SET DATA TYPE "public"."refund_status" USING "status"::"public"."refund_status";--> statement-breakpoint
CREATE INDEX "ledger_transactions_payment_idx" ON "ledger_transactions" USING btree ("payment_id");