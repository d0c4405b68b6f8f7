// The one score threshold and class filter every sink sees: applied once to the event stream before fan-out
// (the WebSocket per-client filters stay on top of it). Optional class-agnostic NMS for display: after the
// model's class-wise NMS (the reference behaviour), a box that overlaps a higher-scoring box of any class by
// more than the IoU threshold is dropped, so one object is not shown under several labels.
import { map, type OperatorFunction } from 'rxjs';
import type { Detection, PipelineEvent } from './types.ts';
import { RetinaStreamError } from '../errors.ts';

export interface DetectionFilterOptions {
  /** Keep detections with score >= minScore (default 0: all). */
  minScore?: number;
  /** Class ids to keep; null or undefined keeps every class. */
  classIds?: ReadonlySet<number> | null;
  /** IoU above which a lower-scoring box of another class is dropped; false/undefined disables it. */
  classAgnosticNms?: number | false;
}

export class DetectionFilterError extends RetinaStreamError<'RS_ERR_CLASSES'> {
  constructor(message: string) {
    super('RS_ERR_CLASSES', message);
  }
}

/** IoU of two [x1, y1, x2, y2] boxes (the class-agnostic NMS here, the tracker's associations). */
export function iou(a: Readonly<Detection['box']>, b: Readonly<Detection['box']>): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy NMS across classes, highest score first; returns the kept detections in falling score order. */
export function classAgnosticNms(dets: readonly Detection[], iouThresh: number): Detection[] {
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const kept: Detection[] = [];
  for (const d of sorted) if (!kept.some((k) => iou(k.box, d.box) > iouThresh)) kept.push(d);
  return kept;
}

export function filterDetections(dets: readonly Detection[], o: DetectionFilterOptions): Detection[] {
  const min = o.minScore ?? 0;
  let out = dets.filter((d) => d.score >= min && (!o.classIds || o.classIds.has(d.classId)));
  if (o.classAgnosticNms !== undefined && o.classAgnosticNms !== false) out = classAgnosticNms(out, o.classAgnosticNms);
  return out;
}

/** True when the options change nothing (the operator is then the identity). */
export function isNoopFilter(o: DetectionFilterOptions): boolean {
  return !(o.minScore && o.minScore > 0) && !o.classIds && (o.classAgnosticNms === undefined || o.classAgnosticNms === false);
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
