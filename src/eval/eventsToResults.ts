// Turns retinastream output into COCO results for evaluation. Reads either a JSONL file of
// events (schema/detection-event.v1.schema.json; 'detections' lines become results with
// image_id = frameNumber, 'status' lines are skipped) or a standard COCO results JSON array.

import { readFileSync } from 'node:fs';
import { EvalError } from './errors.ts';
import { checkResult, parseCocoResults, type CocoResult } from './cocoResults.ts';

/** Events of a run that carry no detections to score (stream status, tracks, zones). */
const OTHER_EVENT_TYPES = new Set(['status', 'track_started', 'track_ended', 'zone_enter', 'zone_exit', 'line_cross']);

export interface LoadResultsOptions {
  /** Keep only the events of this stream. Required when the file holds detections of several streams. */
  streamId?: string;
  /** Maps classId to COCO category_id (categoryIds[classId]); without it category_id = classId. */
  categoryIds?: readonly number[];
}

/** Reads results from `path`: a COCO results JSON array, or a JSONL file of retinastream events. */
export function loadResults(path: string, opts: LoadResultsOptions = {}): CocoResult[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EvalError('RS_ERR_EVAL_FILE', `${path}: cannot read results file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (text.trimStart().startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new EvalError('RS_ERR_EVAL_FILE', `${path}: starts with '[' but is not valid JSON (${(err as Error).message})`);
    }
    if (opts.streamId !== undefined) {
      throw new EvalError('RS_ERR_COCO_RESULTS', `${path}: is a COCO results array, which has no streams; drop the streamId option`);
    }
    return parseCocoResults(json, path);
  }
  return eventsToResults(text, path, opts);
}

/** Converts the text of a JSONL event file into COCO results; `source` names it in errors. */
export function eventsToResults(text: string, source: string, opts: LoadResultsOptions = {}): CocoResult[] {
  const results: CocoResult[] = [];
  const streams = new Set<string>();
  const frameLine = new Map<string, number>(); // `${streamId}\u0000${frameNumber}` -> line
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n].trim();
    if (line === '') continue;
    const where = `${source}:${n + 1}`;
    const fail = (problem: string): never => {
      throw new EvalError('RS_ERR_COCO_RESULTS', `${where}: ${problem}`);
    };
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(line);
    } catch (err) {
      throw new EvalError('RS_ERR_EVAL_FILE', `${where}: not a JSON line (${(err as Error).message})`);
    }
    if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) fail('expected a JSON object per line');
    if (typeof ev.type === 'string' && OTHER_EVENT_TYPES.has(ev.type)) continue;
    if (ev.type !== 'detections') fail(`unknown event type ${JSON.stringify(ev.type)} (expected "detections" or one of ${[...OTHER_EVENT_TYPES].join(', ')})`);
    const streamId = ev.streamId;
    if (typeof streamId !== 'string' || streamId === '') fail('field "streamId" must be a non-empty string');
    if (opts.streamId !== undefined && streamId !== opts.streamId) continue;
    const frame = ev.frameNumber;
    if (!Number.isSafeInteger(frame) || (frame as number) < 0) fail(`field "frameNumber" must be an integer >= 0, got ${JSON.stringify(frame)}`);
    const key = `${streamId as string}\u0000${frame as number}`;
    const seen = frameLine.get(key);
    if (seen !== undefined) fail(`frame ${frame} of stream "${streamId}" already appeared on line ${seen}; one run per file`);
    frameLine.set(key, n + 1);
    streams.add(streamId as string);
    if (!Array.isArray(ev.detections)) fail('field "detections" must be an array');
    (ev.detections as unknown[]).forEach((d, i) => {
      const at = `detections[${i}]`;
      if (typeof d !== 'object' || d === null) fail(`${at}: expected an object`);
      const { box, score, classId } = d as Record<string, unknown>;
      if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        fail(`${at}: box must be 4 finite numbers [x1, y1, x2, y2]`);
      }
      if (!Number.isSafeInteger(classId) || (classId as number) < 0) fail(`${at}: classId must be an integer >= 0`);
      let categoryId = classId as number;
      if (opts.categoryIds) {
        const mapped = opts.categoryIds[categoryId];
        if (mapped === undefined) fail(`${at}: classId ${categoryId} has no entry in categoryIds (${opts.categoryIds.length} given)`);
        categoryId = mapped as number;
      }
      const [x1, y1, x2, y2] = box as number[];
      results.push(checkResult({ image_id: frame, category_id: categoryId, bbox: [x1, y1, x2 - x1, y2 - y1], score }, `${where}: ${at}`));
    });
  }
  if (streams.size === 0) {
    const what = opts.streamId === undefined ? 'no detections events' : `no detections events of stream "${opts.streamId}"`;
    throw new EvalError('RS_ERR_COCO_RESULTS', `${source}: ${what} (is it a retinastream JSONL event file?)`);
  }
  if (streams.size > 1) {
    const names = [...streams].slice(0, 5).map((s) => JSON.stringify(s)).join(', ');
    throw new EvalError('RS_ERR_COCO_RESULTS', `${source}: detections of ${streams.size} streams (${names}); frame numbers would collide, pass streamId to pick one`);
  }
  return results;
}
