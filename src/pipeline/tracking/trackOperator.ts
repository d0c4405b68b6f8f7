// RxJS operator: a ByteTrack tracker per stream on the detection events. Each detection on a confirmed
// track gets its `trackId`; a track_started event comes before the detections event where the id first
// appears, track_ended events after the detections event of the frame where the track ended. Every other
// event passes unchanged. When the source completes, the tracks still open end (reason "stream_ended").
// The event `time` fields come from the scheduler's clock (asyncScheduler: Date.now).
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { eventBox, eventScore, round } from '../events.ts';
import type { DetectionEvent, EventDetection, PipelineEvent, TrackEndedEvent, TrackStartedEvent } from '../types.ts';
import { ByteTracker, type ByteTrackOptions, type EndReason, type TrackSummary } from './byteTrack.ts';

export type TrackOptions = Partial<ByteTrackOptions>;

const iso = (ms: number) => new Date(ms).toISOString();

export function trackStartedEvent(streamId: string, t: TrackSummary, frameNumber: number, now: number): TrackStartedEvent {
  return {
    schemaVersion: 1,
    type: 'track_started',
    streamId,
    trackId: t.trackId,
    classId: t.classId,
    label: t.label,
    firstFrame: t.firstFrame,
    firstPts: t.firstPts,
    firstTime: iso(t.firstCapture),
    frameNumber,
    box: eventBox(t.box),
    score: eventScore(t.score),
    time: iso(now),
  };
}

export function trackEndedEvent(streamId: string, t: TrackSummary & { reason: EndReason }, now: number): TrackEndedEvent {
  return {
    schemaVersion: 1,
    type: 'track_ended',
    streamId,
    trackId: t.trackId,
    classId: t.classId,
    label: t.label,
    firstFrame: t.firstFrame,
    lastFrame: t.lastFrame,
    firstPts: t.firstPts,
    lastPts: t.lastPts,
    firstTime: iso(t.firstCapture),
    lastTime: iso(t.lastCapture),
    durationS: round(t.lastPts - t.firstPts, 6),
    framesSeen: t.hits,
    reason: t.reason,
    time: iso(now),
  };
}

/** Tracks objects per stream; detection events come out with `trackId`s, plus track lifecycle events. */
export function trackEvents(options: TrackOptions = {}, scheduler: SchedulerLike = asyncScheduler): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source$) =>
    new Observable<PipelineEvent>((subscriber) => {
      const trackers = new Map<string, ByteTracker>();
      const onDetections = (e: DetectionEvent) => {
        let tracker = trackers.get(e.streamId);
        if (!tracker) trackers.set(e.streamId, (tracker = new ByteTracker(options)));
        const r = tracker.update({ frameNumber: e.frameNumber, pts: e.pts, captureTime: Date.parse(e.captureTime) }, e.detections);
        const now = scheduler.now();
        for (const t of r.started) subscriber.next(trackStartedEvent(e.streamId, t, e.frameNumber, now));
        const detections: EventDetection[] = e.detections.map((d, i) => {
          const trackId = r.trackIds[i];
          return trackId === undefined ? d : { ...d, trackId };
        });
        subscriber.next({ ...e, detections });
        for (const t of r.ended) subscriber.next(trackEndedEvent(e.streamId, t, now));
      };
      const sub = source$.subscribe({
        next: (e) => (e.type === 'detections' ? onDetections(e) : subscriber.next(e)),
        error: (err) => subscriber.error(err),
        complete: () => {
          const now = scheduler.now();
          for (const [streamId, tracker] of trackers) for (const t of tracker.finish()) subscriber.next(trackEndedEvent(streamId, t, now));
          trackers.clear();
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        trackers.clear();
      };
    });
}
