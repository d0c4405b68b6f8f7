// Flag parsing on node:util parseArgs, with errors that name the flag.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export type ParsedValues<T extends Options> = {
  [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : T[K]['multiple'] extends true ? string[] : string;
};

export function parse<T extends Options>(command: string, argv: string[], options: T): { values: ParsedValues<T>; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as ParsedValues<T>, positionals: r.positionals };
  } catch (e) {
    const msg = String((e as Error).message).replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`retinastream ${command}: ${msg}`);
  }
}

export function intFlag(name: string, v: string | undefined, def: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name}: "${v}" is not an integer in [${min}, ${max}]`);
  return n;
}

export function numFlag(name: string, v: string | undefined, def: number, min = -Infinity, max = Infinity): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name}: "${v}" is not a number in [${min}, ${max}]`);
  return n;
}
