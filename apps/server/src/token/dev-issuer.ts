import { randomBytes, randomInt, randomUUID } from "node:crypto";
import { claimsFromSubject } from "@oidc/shared";
import { type CryptoKey, type JWK, SignJWT } from "jose";
import type { Database } from "../db/client";
import type { Env } from "../env";
import { keyringOf } from "../keys/vault";
import { ensureDevIssuerKey } from "./keys";

/**
 * The development issuer (SPEC §6.6): GitHub-shaped RS256 ID tokens, for the demo and the tests.
 * Its key lives in the database (one per database), so tokens survive restarts and every cluster
 * worker publishes the same JWKS.
 */
export class DevIssuer {
  private key: Promise<{ kid: string; privateKey: CryptoKey; publicJwk: JWK }> | undefined;

  constructor(
    private readonly env: Env,
    private readonly db: () => Database,
  ) {}

  get url() {
    return this.env.devIssuerUrl;
  }

  private loadKey() {
    this.key ??= ensureDevIssuerKey(this.db(), keyringOf(this.env)).catch((error) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const { publicJwk } = await this.loadKey();
    return { keys: [publicJwk] };
  }

  async kid(): Promise<string> {
    return (await this.loadKey()).kid;
  }

  /** Realistic claims for octo-org/api on main. */
  defaultClaims(nowSeconds = Math.floor(Date.now() / 1000)): Record<string, unknown> {
    const sha = randomBytes(20).toString("hex");
    const workflowRef = "octo-org/api/.github/workflows/release.yml@refs/heads/main";
    return {
      jti: randomUUID(),
      sub: "repo:octo-org/api:ref:refs/heads/main",
      aud: this.env.tokenAudience,
      ref: "refs/heads/main",
      sha,
      repository: "octo-org/api",
      repository_owner: "octo-org",
      repository_owner_id: "1234567",
      repository_id: "100001",
      repository_visibility: "private",
      run_id: String(randomInt(1_000_000_000, 9_999_999_999)),
      run_number: "42",
      run_attempt: "1",
      actor: "octocat",
      actor_id: "583231",
      workflow: "Release",
      workflow_ref: workflowRef,
      workflow_sha: sha,
      head_ref: "",
      base_ref: "",
      event_name: "push",
      ref_type: "branch",
      ref_protected: "true",
      job_workflow_ref: workflowRef,
      job_workflow_sha: sha,
      runner_environment: "github-hosted",
      iss: this.env.devIssuerUrl,
      nbf: nowSeconds - 5,
      iat: nowSeconds,
      exp: nowSeconds + 300,
    };
  }

  /**
   * Mints an ID token: the given claims override the defaults, a claim given as null is left out.
   * When `repository` or `ref` is given without `sub`, the subject follows them; when `sub` is
   * given, the job claims it implies (repository, owner, IDs, ref, environment, event) follow it.
   */
  async mint(overrides: Record<string, unknown> = {}): Promise<string> {
    const claims = this.defaultClaims();
    if (overrides.sub === undefined && (typeof overrides.repository === "string" || typeof overrides.ref === "string")) {
      const repository = (overrides.repository as string | undefined) ?? (claims.repository as string);
      const ref = (overrides.ref as string | undefined) ?? (claims.ref as string);
      claims.sub = `repo:${repository}:ref:${ref}`;
      if (typeof overrides.repository === "string" && overrides.repository_owner === undefined)
        claims.repository_owner = overrides.repository.split("/")[0];
    }
    if (typeof overrides.sub === "string") Object.assign(claims, claimsOfSubject(overrides.sub, claims));
    for (const [name, value] of Object.entries(overrides)) {
      if (value === null) delete claims[name];
      else claims[name] = value;
    }
    const { kid, privateKey } = await this.loadKey();
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid, typ: "JWT" }).sign(privateKey);
  }
}

/**
 * The job claims a GitHub subject implies, so that a token minted for
 * `repo:octo-org@1/web@2:environment:prod` says repository octo-org/web, environment prod, and so
 * on: the shared derivation the console's dry run uses too. Claims the caller gives still win; a
 * subject of another shape implies nothing.
 */
export function claimsOfSubject(sub: string, defaults: Record<string, unknown>): Record<string, unknown> {
  const { sub: _sub, ...implied } = claimsFromSubject(sub, { ref: typeof defaults.ref === "string" ? defaults.ref : undefined });
  return implied;
}
