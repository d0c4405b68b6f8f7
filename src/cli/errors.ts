// CLI errors: one line naming the flag or file and the problem.
export class UsageError extends Error {
  readonly code = 'RS_ERR_USAGE';
}

/** One line for the user; the stack only with --verbose. */
export function formatError(e: unknown, verbose: boolean): string {
  const err = e instanceof Error ? e : new Error(String(e));
  if (verbose) return err.stack ?? err.message;
  return err.message.split('\n')[0];
}
