DROP INDEX "connections_org_created_idx";--> statement-breakpoint
DROP INDEX "events_connection_idx";--> statement-breakpoint
DROP INDEX "events_org_idx";--> statement-breakpoint
CREATE INDEX "connections_org_created_idx" ON "connections" USING btree ("org_id","created_at" DESC NULLS FIRST,"id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "events_connection_idx" ON "events" USING btree ("connection_id","id" DESC NULLS FIRST);--> statement-breakpoint
CREATE INDEX "events_org_idx" ON "events" USING btree ("org_id","id" DESC NULLS FIRST);