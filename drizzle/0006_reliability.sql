CREATE TABLE "simulated_network_authorizations" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"outcome" text,
	"authorization_code" text,
	"decline_code" text,
	"decline_message" text,
	"amount" bigint NOT NULL,
	"currency" char(3) NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulated_network_authorizations_reference_unique" UNIQUE("reference"),
	CONSTRAINT "simulated_network_authorizations_outcome_known" CHECK ("simulated_network_authorizations"."outcome" IS NULL OR "simulated_network_authorizations"."outcome" IN ('approved', 'declined', 'voided'))
);
--> statement-breakpoint
ALTER TABLE "payments" ADD COLUMN "network_reference" text;