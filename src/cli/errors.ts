// CLI errors: one line naming the flag or file and the problem.
import { RetinaStreamError } from '../errors.ts';
export class UsageError extends RetinaStreamError<'RS_ERR_USAGE'> {
  constructor(message: string) {
    super('RS_ERR_USAGE', message);
  }
}

/** One line for the user; the stack only with --verbose. */
export function formatError(e: unknown, verbose: boolean): string {
  const err = e instanceof Error ? e : new Error(String(e));
  if (verbose) return err.stack ?? err.message;
  return err.message.split('\n')[0];
}
