ALTER TABLE "payments" ALTER COLUMN "card_brand" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "card_last4" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "card_exp_month" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "card_exp_year" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ALTER COLUMN "card_fingerprint" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "payment_method_type" text DEFAULT 'card' NOT NULL;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "payment_method_details" jsonb;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_card_summary_present" CHECK ("payments"."payment_method_type" <> 'card' OR ("payments"."card_brand" IS NOT NULL AND "payments"."card_last4" IS NOT NULL
        AND "payments"."card_exp_month" IS NOT NULL AND "payments"."card_exp_year" IS NOT NULL AND "payments"."card_fingerprint" IS NOT NULL));