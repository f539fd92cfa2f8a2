ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "api_keys" ADD COLUMN "last4" char(4);--> statement-breakpoint
ALTER TABLE "card_vault" ADD COLUMN "key_id" text;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "response_sealed" "bytea";--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "owner_token" text;--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "authorization_expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_sealed" "bytea";--> statement-breakpoint
-- Authorizations open before the column existed expire as their delayed job would have: 7 days (the default) after.
UPDATE "payments" SET "authorization_expires_at" = "updated_at" + interval '7 days'
WHERE "status" = 'requires_capture' AND "authorization_expires_at" IS NULL;
