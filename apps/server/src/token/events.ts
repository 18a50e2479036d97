import { type evaluateRulesets, githubServerUrl, type RecordedDenialReason } from "@oidc/shared";
import { type Actor, type NewEvent, storableText, toRow } from "../audit/events";
import type { ConnectionConfig } from "./config-cache";
import type { TokenError } from "./errors";
import type { VerifiedClaims } from "./verify";

/**
 * The token service's events (docs/token-service.md): `token.exchanged` (written by the record
 * statement with its replay claim) and `token.denied`. Every field an event carries is built here.
 */

const clip = (v: unknown, max = 300) => (typeof v === "string" ? v.slice(0, max) : typeof v === "number" ? String(v) : null);

/** Which repository first use counts (SPEC §12): by `repository_id` when present, else by name. */
export function repositoryKey(job: { repository: string | null; repositoryId: string | null }) {
  const repository = job.repository === null ? null : storableText(job.repository);
  if (job.repositoryId) return { repoKey: `id:${storableText(job.repositoryId)}`, repository };
  return { repoKey: repository === null ? null : `name:${repository.toLowerCase()}`, repository };
}

/** The source job, as recorded in events (clipped: these are the caller's strings). */
export function jobOf(claims: Record<string, unknown>) {
  return {
    sub: clip(claims.sub),
    repository: clip(claims.repository),
    repositoryId: clip(claims.repository_id, 32),
    ref: clip(claims.ref),
    sha: clip(claims.sha, 64),
    workflow: clip(claims.workflow),
    jobWorkflowRef: clip(claims.job_workflow_ref),
    runId: clip(claims.run_id, 32),
    runAttempt: clip(claims.run_attempt, 8),
  };
}

/**
 * The GitHub web address of the connection's (trusted) issuer, so the console can link an event
 * to its workflow run; the development issuer imitates github.com.
 */
export function serverUrlOf(issuer: string, devIssuerUrl: string): string | null {
  return issuer === devIssuerUrl ? "https://github.com" : githubServerUrl(issuer);
}

export function actorOf(claims: Record<string, unknown> | undefined, verified: boolean): Actor {
  if (!claims || !verified) return { type: "workflow", id: null, name: "unverified workflow" };
  const name = clip(claims.job_workflow_ref) ?? clip(claims.workflow_ref) ?? clip(claims.repository) ?? clip(claims.sub) ?? "workflow";
  return { type: "workflow", id: clip(claims.sub), name };
}

/** The `token.exchanged` event's row, as the record statement writes it. */
export function exchangedEvent(input: {
  connection: ConnectionConfig;
  claims: VerifiedClaims;
  decision: ReturnType<typeof evaluateRulesets>;
  ttl: number;
  tokenId: string;
  requestId: string;
  ip: string | null;
  devIssuerUrl: string;
}) {
  const { connection, claims, decision } = input;
  const job = jobOf(claims);
  return toRow({
    orgId: connection.orgId,
    connectionId: connection.id,
    type: "token.exchanged",
    actor: actorOf(claims, true),
    outcome: "success",
    details: {
      rulesets: decision.matched,
      access: decision.access,
      repository: job.repository,
      repositoryId: job.repositoryId,
      ref: job.ref,
      sha: job.sha,
      workflow: job.workflow,
      jobWorkflowRef: job.jobWorkflowRef,
      runId: job.runId,
      runAttempt: job.runAttempt,
      serverUrl: serverUrlOf(connection.issuer, input.devIssuerUrl),
      subject: job.sub,
      expiresIn: input.ttl,
      tokenId: input.tokenId,
      requestId: input.requestId,
      ...(decision.audit ? { audit: decision.audit } : {}),
    },
    ip: input.ip,
  });
}

/** `token.denied`: the reason code; the claims only as "claimed" unless verified. */
export function deniedEvent(input: {
  connection: ConnectionConfig;
  error: TokenError;
  /** The error's reason, narrowed by the caller to one that is recorded. */
  reason: RecordedDenialReason;
  claims: Record<string, unknown> | undefined;
  verified: boolean;
  extra: TokenError["details"];
  requestId: string;
  ip: string | null;
  devIssuerUrl: string;
}): NewEvent {
  const { connection, error, claims, verified } = input;
  return {
    orgId: connection.orgId,
    connectionId: connection.id,
    type: "token.denied",
    actor: actorOf(claims, verified),
    outcome: "failure",
    reason: input.reason,
    details: {
      error: error.error,
      description: error.description,
      requestId: input.requestId,
      verified,
      ...(claims ? { job: { ...jobOf(claims), serverUrl: serverUrlOf(connection.issuer, input.devIssuerUrl) } } : {}),
      ...input.extra,
    },
    ip: input.ip,
  };
}
