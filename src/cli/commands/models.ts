// retinastream models list|pull: the model zoo (src/zoo): published COCO RetinaNets, downloaded with a progress bar,
// resumed, verified, converted and cached.
import { cachedModelDir, cachedModels, modelsCacheDir } from '../../zoo/cache.ts';
import { progressBar } from '../../zoo/progress.ts';
import { MODEL_NAME_RE, pullModel } from '../../zoo/pull.ts';
import { findZooEntry, ZOO, type ZooEntry } from '../../zoo/registry.ts';
import { parse } from '../args.ts';
import { UsageError } from '../errors.ts';

const PULL_USAGE = 'retinastream models pull NAME | --url URL (--sha256 HEX | --md5 HEX) --from torchvision|detectron2 NAME';

async function list(argv: string[]): Promise<number> {
  const { values, positionals } = parse('models list', argv, {
    json: { type: 'boolean' },
  });
  if (positionals.length) throw new UsageError(`retinastream models list: unexpected argument "${positionals[0]}"`);
  const custom = cachedModels().filter((c) => !findZooEntry(c.entry.name));
  const rows = [...ZOO, ...custom.map((c) => c.entry)].map((e) => ({ ...e, cached: cachedModelDir(e.name) }));
  if (values.json) {
    for (const r of rows) process.stdout.write(JSON.stringify(r) + '\n');
    return 0;
  }
  const w = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`${'name'.padEnd(w)}  COCO AP  from         licence                              cached\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(w)}  ${(r.cocoAp === null ? '-' : r.cocoAp.toFixed(1)).padStart(7)}  ${r.from.padEnd(11)}  ${r.licence.padEnd(35)}  ${r.cached ? 'yes' : 'no'}\n`);
  }
  process.stdout.write(`\ncache: ${modelsCacheDir()}; pull one with \`retinastream models pull NAME\`, or use \`--model NAME\` (pulled on first use)\n`);
  return 0;
}

async function pull(argv: string[]): Promise<number> {
  const { values, positionals } = parse('models pull', argv, {
    url: { type: 'string' },
    sha256: { type: 'string' },
    md5: { type: 'string' },
    from: { type: 'string' },
    force: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError(`retinastream models pull: expected one NAME (${PULL_USAGE})`);
  const name = positionals[0];
  let entry: ZooEntry;
  if (values.url === undefined) {
    for (const k of ['sha256', 'md5', 'from'] as const) if (values[k] !== undefined) throw new UsageError(`--${k}: only with --url (a custom checkpoint)`);
    const found = findZooEntry(name);
    if (!found) throw new UsageError(`retinastream models pull: "${name}" is not in the zoo (${ZOO.map((e) => e.name).join(', ')}); for another checkpoint give --url, --sha256 and --from`);
    entry = found;
  } else {
    if (findZooEntry(name)) throw new UsageError(`retinastream models pull: "${name}" is a zoo model; give a custom checkpoint another NAME`);
    if (!MODEL_NAME_RE.test(name)) throw new UsageError(`retinastream models pull: NAME "${name}" must be 1-64 of A-Z a-z 0-9 . _ -`);
    if (!/^https?:\/\/[^/]+/i.test(values.url)) throw new UsageError(`--url: "${values.url}" is not an http(s) URL`);
    if ((values.sha256 === undefined) === (values.md5 === undefined)) throw new UsageError('--sha256/--md5: give exactly one checksum for --url');
    const hex = (values.sha256 ?? values.md5)!.toLowerCase();
    const algorithm = values.sha256 !== undefined ? 'sha256' : 'md5';
    const full = algorithm === 'sha256' ? 64 : 32;
    if (!/^[0-9a-f]+$/.test(hex) || hex.length < 8 || hex.length > full) throw new UsageError(`--${algorithm}: "${hex}" is not 8 to ${full} hex digits`);
    if (values.from !== 'torchvision' && values.from !== 'detectron2') throw new UsageError(`--from: ${values.from === undefined ? 'missing' : `"${values.from}"`}, expected torchvision or detectron2`);
    entry = { name, url: values.url, checksum: { algorithm, hex }, from: values.from, cocoAp: null, licence: 'see the source', description: `custom ${values.from} checkpoint` };
  }
  const bar = progressBar(name);
  try {
    const dir = await pullModel(entry, { force: values.force, onProgress: bar.update, log: (l) => process.stderr.write(`${l}\n`) });
    process.stdout.write(`${dir}\n`);
  } finally {
    bar.end();
  }
  return 0;
}

export async function modelsCommand(argv: string[]): Promise<number> {
  const [what, ...rest] = argv;
  if (what === 'list') return list(rest);
  if (what === 'pull') return pull(rest);
  throw new UsageError(`retinastream models: expected "list" or "pull", got ${what === undefined ? 'nothing' : `"${what}"`}`);
}
