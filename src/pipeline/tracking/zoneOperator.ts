// RxJS operator: zone and line events from tracked detections (after trackEvents). Per stream, each zone
// keeps the tracks whose anchor point (bottom centre of the box by default: where an object stands) is inside:
// zone_enter when it comes in, zone_exit (with the dwell time in pts seconds) when it leaves or its track
// ends inside. Each directed line counts the tracks whose anchor point moves across it, per direction.
// Zone and line events follow the detections event of their frame; every event passes unchanged.
// Coordinates are source pixels, or fractions of the source size (units "fraction").
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { round } from '../events.ts';
import type { DetectionEvent, LineCrossEvent, PipelineEvent, TrackEndedEvent, ZoneExitEvent } from '../types.ts';
import { anchorPoint, crossing, pointInPolygon, side, type Anchor, type Point } from './zones.ts';

export type Units = 'px' | 'fraction';

export interface ZoneSpec {
  /** Stream id the zone belongs to. */
  stream: string;
  name: string;
  polygon: ReadonlyArray<readonly [number, number]>;
  units?: Units;
  anchor?: Anchor;
}

export interface LineSpec {
  stream: string;
  name: string;
  from: readonly [number, number];
  to: readonly [number, number];
  units?: Units;
  anchor?: Anchor;
}

interface Inside {
  enterPts: number;
  classId: number;
  label: string;
}

interface ZoneState {
  spec: ZoneSpec;
  inside: Map<number, Inside>;
  /** polygon in pixels, for this source size */
  px: Point[] | null;
  size: string;
}

interface LineState {
  spec: LineSpec;
  /** per track: the last anchor point that was off the line */
  last: Map<number, Point>;
  counts: { in: number; out: number };
  px: [Point, Point] | null;
  size: string;
}

const scale = (p: readonly [number, number], units: Units | undefined, w: number, h: number): Point => (units === 'fraction' ? [p[0] * w, p[1] * h] : [p[0], p[1]]);

export function zoneEvents(zones: readonly ZoneSpec[], lines: readonly LineSpec[] = [], scheduler: SchedulerLike = asyncScheduler): OperatorFunction<PipelineEvent, PipelineEvent> {
  if (!zones.length && !lines.length) return (s) => s;
  return (source$) =>
    new Observable<PipelineEvent>((subscriber) => {
      const zonesOf = new Map<string, ZoneState[]>();
      for (const z of zones) zonesOf.set(z.stream, [...(zonesOf.get(z.stream) ?? []), { spec: z, inside: new Map(), px: null, size: '' }]);
      const linesOf = new Map<string, LineState[]>();
      for (const l of lines) linesOf.set(l.stream, [...(linesOf.get(l.stream) ?? []), { spec: l, last: new Map(), counts: { in: 0, out: 0 }, px: null, size: '' }]);

      const exit = (e: { streamId: string; frameNumber: number; pts: number }, z: ZoneState, trackId: number, at: Inside, reason: ZoneExitEvent['reason'], now: number): ZoneExitEvent => {
        z.inside.delete(trackId);
        return {
          schemaVersion: 1, type: 'zone_exit', streamId: e.streamId, zone: z.spec.name, trackId, classId: at.classId, label: at.label,
          frameNumber: e.frameNumber, pts: e.pts, dwellS: round(e.pts - at.enterPts, 6), reason, occupancy: z.inside.size, time: new Date(now).toISOString(),
        };
      };

      const onDetections = (e: DetectionEvent) => {
        const now = scheduler.now();
        const { width: w, height: h } = e.source;
        const size = `${w}x${h}`;
        const tracked = e.detections.filter((d) => d.trackId !== undefined);
        const out: PipelineEvent[] = [];
        for (const z of zonesOf.get(e.streamId) ?? []) {
          if (z.size !== size) {
            z.px = z.spec.polygon.map((p) => scale(p, z.spec.units, w, h));
            z.size = size;
          }
          const anchor = z.spec.anchor ?? 'bottom_center';
          const seen = new Set<number>();
          for (const d of tracked) {
            const id = d.trackId!;
            if (!pointInPolygon(anchorPoint(d.box, anchor), z.px!)) continue;
            seen.add(id);
            if (z.inside.has(id)) continue;
            z.inside.set(id, { enterPts: e.pts, classId: d.classId, label: d.label });
            out.push({
              schemaVersion: 1, type: 'zone_enter', streamId: e.streamId, zone: z.spec.name, trackId: id, classId: d.classId, label: d.label,
              frameNumber: e.frameNumber, pts: e.pts, occupancy: z.inside.size, time: new Date(now).toISOString(),
            });
          }
          // a track seen this frame outside the zone left it; a track not seen (lost) stays until its track ends
          for (const d of tracked) {
            const at = z.inside.get(d.trackId!);
            if (at && !seen.has(d.trackId!)) out.push(exit(e, z, d.trackId!, at, 'left', now));
          }
        }
        for (const l of linesOf.get(e.streamId) ?? []) {
          if (l.size !== size) {
            l.px = [scale(l.spec.from, l.spec.units, w, h), scale(l.spec.to, l.spec.units, w, h)];
            l.size = size;
          }
          const [a, b] = l.px!;
          const anchor = l.spec.anchor ?? 'bottom_center';
          for (const d of tracked) {
            const id = d.trackId!;
            const p = anchorPoint(d.box, anchor);
            if (side(a, b, p) === 0) continue; // on the line: decided when it is off again
            const prev = l.last.get(id);
            l.last.set(id, p);
            const dir = prev ? crossing(a, b, prev, p) : null;
            if (!dir) continue;
            l.counts[dir]++;
            const ev: LineCrossEvent = {
              schemaVersion: 1, type: 'line_cross', streamId: e.streamId, line: l.spec.name, trackId: id, classId: d.classId, label: d.label,
              frameNumber: e.frameNumber, pts: e.pts, direction: dir, counts: { ...l.counts }, time: new Date(now).toISOString(),
            };
            out.push(ev);
          }
        }
        subscriber.next(e);
        for (const ev of out) subscriber.next(ev);
      };

      const onTrackEnded = (e: TrackEndedEvent) => {
        subscriber.next(e);
        const now = scheduler.now();
        for (const z of zonesOf.get(e.streamId) ?? []) {
          const at = z.inside.get(e.trackId);
          if (at) subscriber.next(exit({ streamId: e.streamId, frameNumber: e.lastFrame, pts: e.lastPts }, z, e.trackId, at, 'track_ended', now));
        }
        for (const l of linesOf.get(e.streamId) ?? []) l.last.delete(e.trackId);
      };

      const sub = source$.subscribe({
        next: (e) => (e.type === 'detections' ? onDetections(e) : e.type === 'track_ended' ? onTrackEnded(e) : subscriber.next(e)),
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
      return () => sub.unsubscribe();
    });
}
