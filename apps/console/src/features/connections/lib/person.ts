/**
 * One way to name a person across the console: the email address they sign in with. It is unique,
 * it is what the audit log records as the actor (so Activity and About agree), and it stays the
 * same when a display name changes.
 */
export function personLabel(user: { email: string } | null | undefined): string {
  return user?.email ?? "a removed user";
}
