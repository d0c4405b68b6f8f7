// retinastream models list|pull: the model zoo (src/zoo).
import { UsageError } from '../errors.ts';

export async function modelsCommand(argv: string[]): Promise<number> {
  const [what] = argv;
  throw new UsageError(`retinastream models: expected "list" or "pull", got ${what === undefined ? 'nothing' : `"${what}"`}`);
}
