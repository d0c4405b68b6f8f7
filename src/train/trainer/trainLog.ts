// Training progress: a JSONL record per logged step (appended, so a resumed run continues the file)
// and a one-line summary on stderr.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StepResult } from './trainStep.ts';

/** One optimizer step's figures, plus where and how fast. */
export interface LogRecord extends StepResult {
  iteration: number;
  imagesPerSec: number;
  elapsedSec: number;
}

export class TrainLog {
  constructor(
    private readonly path: string | null,
    private readonly stderr: ((line: string) => void) | null = (l) => process.stderr.write(l + '\n'),
  ) {
    if (path) mkdirSync(dirname(path), { recursive: true });
  }

  write(r: LogRecord, total: number): void {
    if (this.path) appendFileSync(this.path, JSON.stringify(r) + '\n');
    this.stderr?.(formatProgress(r, total));
  }

  note(line: string): void {
    this.stderr?.(line);
  }
}

export function formatProgress(r: LogRecord, total: number): string {
  const f = (x: number) => x.toFixed(4);
  return `iter ${r.iteration}/${total}  loss ${f(r.loss)} (cls ${f(r.clsLoss)} box ${f(r.boxLoss)})  fg ${r.numFg} bg ${r.numBg} (${r.numFg ? Math.round(r.numBg / r.numFg) : '-'}:1)  lr ${r.lr.toPrecision(3)}  ${r.imagesPerSec.toFixed(2)} img/s  ${Math.round(r.elapsedSec)}s`;
}
