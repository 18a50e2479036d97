CREATE TABLE "org_policies" (
	"org_id" uuid PRIMARY KEY NOT NULL,
	"require_immutable_subjects" boolean DEFAULT false NOT NULL,
	"require_gate_for_writes" boolean DEFAULT false NOT NULL,
	"forbid_pull_request_writes" boolean DEFAULT false NOT NULL,
	"max_token_ttl_seconds" integer DEFAULT 3600 NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_by" uuid,
	CONSTRAINT "org_policies_ttl_range" CHECK ("org_policies"."max_token_ttl_seconds" between 300 and 3600),
	CONSTRAINT "org_policies_version_positive" CHECK ("org_policies"."version" >= 1)
);
--> statement-breakpoint
ALTER TABLE "rulesets" ADD COLUMN "mode" text DEFAULT 'enforce' NOT NULL;--> statement-breakpoint
ALTER TABLE "rulesets" ADD COLUMN "expires_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "org_policies" ADD CONSTRAINT "org_policies_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "org_policies" ADD CONSTRAINT "org_policies_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_audit_idx" ON "events" USING btree ("connection_id","created_at") WHERE ("events"."details" -> 'audit') is not null;--> statement-breakpoint
ALTER TABLE "rulesets" ADD CONSTRAINT "rulesets_mode_check" CHECK ("rulesets"."mode" in ('enforce', 'audit'));