DROP INDEX "outbox_unsent_idx";--> statement-breakpoint
CREATE INDEX "outbox_unsent_topic_idx" ON "outbox" USING btree ("topic","sequence") WHERE sent_at IS NULL;