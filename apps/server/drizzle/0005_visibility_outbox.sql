-- SPEC §12 webhooks: the outbox is filled by a trigger, in the transaction that writes the event,
-- whichever code path writes it (recordEvent, the exchange's batched record statement, …).
CREATE OR REPLACE FUNCTION "webhook_outbox"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "webhook_deliveries" ("org_id", "event_id", "event_type", "payload")
  SELECT w."org_id", NEW."id", NEW."type", jsonb_build_object(
    'id', NEW."id"::text,
    'connectionId', NEW."connection_id",
    'type', NEW."type",
    'actor', jsonb_build_object('type', NEW."actor_type", 'id', NEW."actor_id", 'name', NEW."actor_name"),
    'outcome', NEW."outcome",
    'reason', NEW."reason",
    'details', NEW."details",
    'ip', NEW."ip",
    'createdAt', to_char(NEW."created_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  FROM "webhooks" w
  WHERE w."org_id" = NEW."org_id" AND NEW."type" = ANY (w."events");
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER "events_webhook_outbox" AFTER INSERT ON "events" FOR EACH ROW EXECUTE FUNCTION "webhook_outbox"();
--> statement-breakpoint
-- First use (SPEC §12): repositories that already got tokens before this migration are not new.
INSERT INTO "connection_repositories" ("connection_id", "repo_key", "repository", "first_at")
SELECT e."connection_id", 'name:' || lower(e."details"->>'repository'), min(e."details"->>'repository'), min(e."created_at")
FROM "events" e JOIN "connections" c ON c."id" = e."connection_id"
WHERE e."type" = 'token.exchanged' AND e."details"->>'repository' IS NOT NULL
GROUP BY e."connection_id", lower(e."details"->>'repository')
ON CONFLICT DO NOTHING;
