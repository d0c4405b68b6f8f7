// Where retinastream keeps what it downloads or builds for the user: $XDG_CACHE_HOME/retinastream when
// that is an absolute path (as the XDG spec requires), else ~/.cache/retinastream.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/') ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'retinastream');
}
