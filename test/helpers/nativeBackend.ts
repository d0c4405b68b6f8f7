// Whether the tests that need the native TensorFlow backend can run. They run when the build exists
// (npm run setup:native); without it they are skipped with the reason, except under CI or when the runner
// asked for the tensorflow backend, where a missing build must fail the tests rather than hide them.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

export function nativeSkip(): string | false {
  if (process.env.CI || process.env.RETINASTREAM_BACKEND === 'tensorflow') return false;
  const built = process.env.RETINASTREAM_NATIVE_DIR ?? join(REPO_ROOT, '.native', 'cpu');
  return existsSync(join(built, 'BUILT')) ? false : 'the native TensorFlow backend is not built (npm run setup:native)';
}
