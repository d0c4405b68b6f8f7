// COCO detection results: the standard results JSON array
// [{image_id, category_id, bbox: [x, y, w, h], score}, ...] as written by detectors for COCO eval.

import { EvalError } from './errors.ts';

export interface CocoResult {
  image_id: number;
  category_id: number;
  /** [x, y, width, height] in image pixels. */
  bbox: [number, number, number, number];
  score: number;
}

/** Validates a parsed COCO results array; `source` names it in errors. */
export function parseCocoResults(json: unknown, source: string): CocoResult[] {
  if (!Array.isArray(json)) throw new EvalError('RS_ERR_COCO_RESULTS', `${source}: expected a JSON array of results`);
  return json.map((r, i) => checkResult(r, `${source}: results[${i}]`));
}

/** Checks one result object; `where` prefixes the error message. */
export function checkResult(r: unknown, where: string): CocoResult {
  const fail = (problem: string): never => {
    throw new EvalError('RS_ERR_COCO_RESULTS', `${where}: ${problem}`);
  };
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail('expected an object');
  const o = r as Record<string, unknown>;
  for (const key of ['image_id', 'category_id']) {
    const v = o[key];
    if (v === undefined) fail(`missing field "${key}"`);
    if (!Number.isSafeInteger(v)) fail(`field "${key}" must be an integer, got ${JSON.stringify(v)}`);
  }
  const score = o.score;
  if (score === undefined) fail('missing field "score"');
  if (typeof score !== 'number' || !Number.isFinite(score)) fail(`field "score" must be a finite number, got ${JSON.stringify(score)}`);
  const bbox = o.bbox;
  if (bbox === undefined) fail('missing field "bbox"');
  if (!Array.isArray(bbox) || bbox.length !== 4 || !bbox.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    fail(`bbox must be 4 finite numbers [x, y, w, h], got ${JSON.stringify(bbox)}`);
  }
  const [x, y, w, h] = bbox as number[];
  return { image_id: o.image_id as number, category_id: o.category_id as number, bbox: [x, y, w, h], score: score as number };
}
