// The one score threshold and class filter every sink sees: applied once to the event stream before fan-out
// (the WebSocket per-client filters stay on top of it). NMS over all classes is the engine's
// (postprocess.classAgnostic, which `run --class-agnostic-nms` sets), not a filter here.
import { map, type OperatorFunction } from 'rxjs';
import type { Detection, PipelineEvent } from './types.ts';
import { RetinaStreamError } from '../errors.ts';

export interface DetectionFilterOptions {
  /** Keep detections with score >= minScore (default 0: all). */
  minScore?: number;
  /** Class ids to keep; null or undefined keeps every class. */
  classIds?: ReadonlySet<number> | null;
}

export class DetectionFilterError extends RetinaStreamError<'RS_ERR_CLASSES'> {
  constructor(message: string) {
    super('RS_ERR_CLASSES', message);
  }
}

export function filterDetections(dets: readonly Detection[], o: DetectionFilterOptions): Detection[] {
  const min = o.minScore ?? 0;
  return dets.filter((d) => d.score >= min && (!o.classIds || o.classIds.has(d.classId)));
}

/** True when the options change nothing (the operator is then the identity). */
export function isNoopFilter(o: DetectionFilterOptions): boolean {
  return !(o.minScore && o.minScore > 0) && !o.classIds;
}

/** RxJS operator: detection events with their detections filtered; status events unchanged. */
export function filterEvents(o: DetectionFilterOptions): OperatorFunction<PipelineEvent, PipelineEvent> {
  if (isNoopFilter(o)) return (s) => s;
  return map((e) => (e.type === 'detections' ? { ...e, detections: filterDetections(e.detections, o) } : e));
}

/**
 * Class names or ids (as a user writes them: "person", "car", 3) to the model's class ids. Names match
 * case-insensitively; an unknown name or id is an error naming it and the model's classes.
 */
export function resolveClasses(wanted: ReadonlyArray<string | number> | null | undefined, classNames: readonly string[], numClasses: number, key = '--classes'): Set<number> | null {
  if (!wanted || wanted.length === 0) return null;
  const byName = new Map<string, number>();
  classNames.forEach((n, i) => {
    if (n && !byName.has(n.toLowerCase())) byName.set(n.toLowerCase(), i);
  });
  const ids = new Set<number>();
  for (const w of wanted) {
    const s = String(w).trim();
    if (/^\d+$/.test(s)) {
      const id = Number(s);
      if (id >= numClasses) throw new DetectionFilterError(`${key}: class id ${id} is out of range (the model has ${numClasses} classes, 0-${numClasses - 1})`);
      ids.add(id);
      continue;
    }
    const id = byName.get(s.toLowerCase());
    if (id === undefined) {
      const known = classNames.filter((n) => n && n !== 'N/A' && n !== '__background__');
      throw new DetectionFilterError(`${key}: "${s}" is not a class of this model (known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? `, ... ${known.length} in all` : ''})`);
    }
    ids.add(id);
  }
  return ids;
}
