ALTER TABLE "signing_keys" ADD COLUMN "purpose" text;--> statement-breakpoint
UPDATE "signing_keys" SET "purpose" = CASE WHEN "alg" = 'RS256' THEN 'dev-issuer' ELSE 'access' END;--> statement-breakpoint
ALTER TABLE "signing_keys" ALTER COLUMN "purpose" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "signing_keys" ADD COLUMN "certificate" text;--> statement-breakpoint
CREATE UNIQUE INDEX "events_registry_token_key" ON "events" USING btree ("connection_id",("details"->>'tokenId'),md5("details"->>'scope')) WHERE "events"."type" = 'registry.token';--> statement-breakpoint
CREATE INDEX "signing_keys_purpose_idx" ON "signing_keys" USING btree ("purpose","created_at");--> statement-breakpoint
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_purpose_check" CHECK ("signing_keys"."purpose" in ('access', 'dev-issuer', 'registry-ca'));