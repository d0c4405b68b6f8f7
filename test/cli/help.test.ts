// --help/-h on every command and subcommand lists every flag the command parses (read from its source, so a
// new flag without help fails here), exits 0 and runs nothing; --version prints package.json's version.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMAND_HELP } from '../../src/cli/help.ts';
import { REPO, runCli } from './cliProcess.ts';

/** Flags a command file passes to parse(): `'ws-port': { type: 'string' }` and `json: { type: 'boolean' }`. */
function parsedFlags(file: string, from = 0, to = Infinity): string[] {
  const src = readFileSync(join(REPO, 'src/cli/commands', file), 'utf8').slice(from, to);
  return [...src.matchAll(/^\s*'?([a-z][a-z0-9-]*)'?: \{ type: '(?:string|boolean)'/gm), ...src.matchAll(/[{,] ([a-z][a-z0-9-]*): \{ type: '(?:string|boolean)'/g)].map((m) => m[1]);
}

const COMMANDS: Array<[string[], string, string?]> = [
  [['run'], 'run.ts'],
  [['detect'], 'detect.ts'],
  [['convert'], 'convert.ts'],
  [['info'], 'info.ts'],
  [['eval'], 'eval.ts'],
  [['train'], 'train.ts'],
  [['bench', 'model'], 'bench.ts'],
  [['bench', 'pipeline'], 'pipelineBench.ts'],
  [['bench', 'cluster'], 'clusterBench.ts'],
  [['streams', 'add'], 'streams.ts', 'add'],
  [['streams', 'rm'], 'streams.ts', 'rm'],
  [['streams', 'ls'], 'streams.ts', 'ls'],
  [['models', 'list'], 'models.ts', 'list'],
  [['models', 'pull'], 'models.ts', 'pull'],
];

describe('--help', () => {
  for (const [cmd, file, section] of COMMANDS) {
    it(`retinastream ${cmd.join(' ')} --help lists all its flags`, { timeout: 60_000 }, async () => {
      let flags = parsedFlags(file);
      if (section) {
        const src = readFileSync(join(REPO, 'src/cli/commands', file), 'utf8');
        const start = src.indexOf(`parse('${cmd[0]} ${section}'`);
        assert.ok(start >= 0, `parse('${cmd[0]} ${section}' in ${file}`);
        flags = parsedFlags(file, start, src.indexOf('});', start));
      }
      assert.ok(flags.length >= 1, `found the flags of ${file}`);
      const r = await runCli([...cmd, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^usage: retinastream ${cmd.join(' ')}`));
      for (const f of flags) assert.match(r.stdout, new RegExp(`--${f}\\b`), `--${f} is missing from \`${cmd.join(' ')} --help\``);
      const h = await runCli([...cmd, '-h']);
      assert.equal(h.stdout, r.stdout, '-h = --help');
    });
  }

  it('every help entry shows defaults, and every command has one', () => {
    for (const name of ['run', 'detect', 'convert', 'info', 'eval', 'train', 'bench', 'models']) assert.ok(COMMAND_HELP[name], name);
    assert.match(COMMAND_HELP.run.flags.find((f) => f.flag.startsWith('--ws-port'))!.def!, /^8080$/);
  });

  it('--help on a command with a bad flag still prints help; --version prints the version', { timeout: 60_000 }, async () => {
    const r = await runCli(['run', '--bogus', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: retinastream run/);
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.equal(v.stdout, `retinastream ${JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version}\n`);
    const top = await runCli(['--help']);
    assert.match(top.stdout, /retinastream COMMAND --help/);
  });
});
