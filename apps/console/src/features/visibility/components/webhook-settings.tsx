import { ORG_EVENT_TYPES, WebhookInputSchema } from "@oidc/shared";
import { useEffect, useState } from "react";
import { ErrorMessage } from "../../../components/errors/error-view";
import { Breadcrumbs } from "../../../components/layouts/breadcrumbs";
import { CopyButton } from "../../../components/ui/copy-button";
import { Dialog } from "../../../components/ui/dialog";
import { Field } from "../../../components/ui/field";
import { Alert, EmptyState, Spinner } from "../../../components/ui/status";
import { useToast } from "../../../components/ui/toast";
import { isApiError, issuesByPath } from "../../../lib/api-client";
import { absoluteTime, relativeTime } from "../../../lib/format";
import { EVENT_TITLES } from "../../connections/components/event-details";
import {
  type Delivery,
  useDeleteWebhook,
  useDeliveries,
  usePutWebhook,
  useRotateWebhookSecret,
  useTestWebhook,
  useWebhook,
  type Webhook,
} from "../api/visibility";

/** The signing secret, shown once (after creation or rotation) with Copy. */
function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <Alert tone="warning" title="Copy the signing secret now: it is shown only this once">
      <p>Receivers check each delivery's X-OIDC-Signature header (HMAC-SHA256 of the body) with it.</p>
      <div className="secret-box">
        <code className="code-inline code-wrap" data-testid="webhook-secret">
          {secret}
        </code>
        <CopyButton text={secret} label="Copy secret" />
        <button type="button" className="btn btn-secondary btn-sm" onClick={onDone}>
          I have stored it
        </button>
      </div>
    </Alert>
  );
}

function WebhookForm({
  org,
  current,
  canManage,
  onSecret,
}: {
  org: string;
  current: Webhook | null;
  canManage: boolean;
  onSecret: (s: string) => void;
}) {
  const [url, setUrl] = useState(current?.url ?? "");
  const [events, setEvents] = useState<string[]>(current?.events ?? ["token.denied", "token.first_use"]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = usePutWebhook(org);
  const toast = useToast();
  useEffect(() => {
    if (current) {
      setUrl(current.url);
      setEvents(current.events);
    }
  }, [current]);
  const submit = (e: React.FormEvent) => {
    e.preventDefault();
    const parsed = WebhookInputSchema.safeParse({ url: url.trim(), events });
    if (!parsed.success) {
      setErrors(issuesByPath(parsed.error.issues));
      return;
    }
    setErrors({});
    save.mutate(parsed.data, {
      onSuccess: (saved) => {
        if ("secret" in saved && typeof saved.secret === "string") onSecret(saved.secret);
        toast.show(current ? "Webhook saved" : "Webhook created");
      },
      onError: (error) => {
        if (isApiError(error, 400)) setErrors(issuesByPath(error.issues));
      },
    });
  };
  const toggle = (type: string, on: boolean) => setEvents((all) => (on ? [...all, type] : all.filter((t) => t !== type)));
  return (
    <form className="card stack" onSubmit={submit} noValidate aria-labelledby="webhook-form-heading">
      <h2 id="webhook-form-heading" className="card-title">
        Endpoint
      </h2>
      <Field label="URL" hint="An https endpoint that accepts POSTed JSON. Redirects are not followed." error={errors.url}>
        <input
          className="input"
          type="url"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          disabled={!canManage}
          placeholder="https://hooks.example.com/oidc"
        />
      </Field>
      <fieldset className="stack" aria-describedby={errors.events ? "events-error" : undefined}>
        <legend className="field-label">Event types</legend>
        <div className="checkbox-grid">
          {ORG_EVENT_TYPES.map((type) => (
            <label key={type} className="checkbox">
              <input
                type="checkbox"
                checked={events.includes(type)}
                onChange={(e) => toggle(type, e.target.checked)}
                disabled={!canManage}
              />{" "}
              {EVENT_TITLES[type]} <code className="code-inline">{type}</code>
            </label>
          ))}
        </div>
        {errors.events && (
          <p id="events-error" className="field-error">
            {errors.events}
          </p>
        )}
      </fieldset>
      {save.isError && !isApiError(save.error, 400) && <ErrorMessage error={save.error} />}
      {canManage && (
        <div>
          <button type="submit" className="btn btn-primary" disabled={save.isPending}>
            {save.isPending ? "Saving…" : current ? "Save changes" : "Create webhook"}
          </button>
        </div>
      )}
    </form>
  );
}

const STATUS_LABELS: Record<Delivery["status"], string> = { pending: "Waiting to retry", delivered: "Delivered", failed: "Gave up" };

function Deliveries({ org }: { org: string }) {
  const deliveries = useDeliveries(org, true);
  if (deliveries.isPending) return <Spinner label="Loading deliveries…" />;
  if (deliveries.isError) return <ErrorMessage error={deliveries.error} onRetry={() => deliveries.refetch()} />;
  if (!deliveries.data.items.length)
    return (
      <EmptyState title="No deliveries yet">
        <p>Send a test event, or wait for one of the chosen events.</p>
      </EmptyState>
    );
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="table-caption">Recent deliveries</caption>
        <thead>
          <tr>
            <th scope="col">Delivery</th>
            <th scope="col">Event</th>
            <th scope="col">Status</th>
            <th scope="col">HTTP status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Queued</th>
          </tr>
        </thead>
        <tbody>
          {deliveries.data.items.map((d) => (
            <tr key={d.id}>
              <th scope="row">{d.id}</th>
              <td>
                <code className="code-inline">{d.eventType}</code>
              </td>
              <td>
                {d.status === "pending" && d.attempts === 0 ? "Queued" : STATUS_LABELS[d.status]}
                {d.lastError && <span className="muted"> · {d.lastError}</span>}
              </td>
              <td>{d.lastStatusCode ?? <span className="muted">none</span>}</td>
              <td>{d.attempts}</td>
              <td>
                <time dateTime={d.createdAt} title={absoluteTime(d.createdAt)}>
                  {relativeTime(d.createdAt)}
                </time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The organisation's webhook (SPEC §12): endpoint and event types, its signing secret, recent deliveries. */
export function WebhookSettings({ org }: { org: { slug: string; name: string; canManage: boolean } }) {
  const webhook = useWebhook(org.slug);
  const [secret, setSecret] = useState<string | null>(null);
  const [removing, setRemoving] = useState(false);
  const test = useTestWebhook(org.slug);
  const rotate = useRotateWebhookSecret(org.slug);
  const remove = useDeleteWebhook(org.slug);
  const toast = useToast();
  return (
    <div className="page">
      <Breadcrumbs items={[{ label: org.name }, { label: "Security and access" }, { label: "Webhooks" }]} />
      <div className="page-head">
        <div>
          <h1>Webhooks</h1>
          <p className="muted">
            Send this organisation's events to an endpoint of yours as they happen: signed JSON, retried with backoff until your endpoint
            answers 2xx.
          </p>
        </div>
      </div>
      {secret && <SecretOnce secret={secret} onDone={() => setSecret(null)} />}
      {webhook.isPending ? (
        <Spinner label="Loading the webhook…" />
      ) : webhook.isError ? (
        <ErrorMessage error={webhook.error} onRetry={() => webhook.refetch()} />
      ) : (
        <div className="stack-lg">
          {!webhook.data && !org.canManage ? (
            <EmptyState title="No webhook">
              <p>An owner of this organisation can set one up.</p>
            </EmptyState>
          ) : (
            <WebhookForm org={org.slug} current={webhook.data} canManage={org.canManage} onSecret={setSecret} />
          )}
          {webhook.data && (
            <section className="card stack" aria-labelledby="deliveries-heading">
              <div className="card-head">
                <h2 id="deliveries-heading" className="card-title">
                  Deliveries
                </h2>
                {org.canManage && (
                  <div className="secret-box">
                    <button
                      type="button"
                      className="btn btn-secondary"
                      disabled={test.isPending}
                      onClick={() => test.mutate(undefined, { onSuccess: () => toast.show("Test event queued") })}
                    >
                      Send test event
                    </button>
                    <button
                      type="button"
                      className="btn btn-secondary"
                      disabled={rotate.isPending}
                      onClick={() => rotate.mutate(undefined, { onSuccess: (r) => setSecret(r.secret) })}
                    >
                      Rotate secret
                    </button>
                    <button type="button" className="btn btn-danger" onClick={() => setRemoving(true)}>
                      Remove webhook
                    </button>
                  </div>
                )}
              </div>
              <Deliveries org={org.slug} />
            </section>
          )}
        </div>
      )}
      <Dialog
        open={removing}
        title="Remove the webhook?"
        tone="danger"
        onClose={() => setRemoving(false)}
        actions={
          <>
            <button type="button" className="btn btn-secondary" onClick={() => setRemoving(false)} data-autofocus>
              Cancel
            </button>
            <button
              type="button"
              className="btn btn-danger"
              disabled={remove.isPending}
              onClick={() =>
                remove.mutate(undefined, {
                  onSuccess: () => {
                    setRemoving(false);
                    toast.show("Webhook removed");
                  },
                })
              }
            >
              Remove
            </button>
          </>
        }
      >
        <p>Events stop being sent at once; deliveries still waiting are given up.</p>
      </Dialog>
    </div>
  );
}
