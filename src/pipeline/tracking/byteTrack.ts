// ByteTrack (Zhang et al. 2022) for one stream: a Kalman-predicted box per track, then two associations by
// IoU with an optimal assignment: high-score detections against every confirmed or lost track, then the
// low-score detections against the tracks still unmatched (they keep tracks alive through occlusion without
// starting new ones). Unconfirmed tracks get the leftover high-score detections; what is left and scores
// >= newTrackThresh starts a tentative track.
// States: tentative (no id yet; removed on its first miss) -> confirmed after minHits matches (gets the next
// trackId of the stream; on the stream's first frame at once, as ByteTrack) -> lost when unmatched (kept for
// trackBuffer frames, predicted on) -> ended. Lost tracks found again keep their id.
// Two additions, both optional: buffered IoU (C-BIoU) as a second, wider pass of the high-score association (and
// in the low-score and tentative ones), and a recovery stage (after OC-SORT) matching unmatched confirmed tracks by
// their last observed box, where it was or moved on at the velocity observed over its last frames; with both off
// it is ByteTrack.
// The tracker gives ids to detections (the detector's boxes, not the filter's), like supervision's ByteTrack.
import type { Detection } from '../../model/detector.ts';
import { iou } from './iou.ts';
import type { Box } from './boxes.ts';
import { initiate, predict, toBox, toXyah, update, type KalmanBox } from './kalmanBox.ts';
import { linearAssignment } from './linearAssignment.ts';

export interface ByteTrackOptions {
  /** Detections scoring >= this take part in the first association (ByteTrack's track_thresh). */
  highThresh: number;
  /** Detections scoring in [lowThresh, highThresh) only extend unmatched tracks (second association). */
  lowThresh: number;
  /** An unmatched high-score detection starts a track when it scores >= this. */
  newTrackThresh: number;
  /** First association: largest cost (1 - IoU, times the score when fuseScore) of a pair. */
  matchThresh: number;
  /** Second association (low-score detections): largest 1 - IoU. */
  secondMatchThresh: number;
  /** Tentative tracks against leftover detections: largest cost. */
  unconfirmedMatchThresh: number;
  /** Frames a lost track is kept (and can be found again) before it ends. */
  trackBuffer: number;
  /** Matches (frames) before a track is confirmed and gets an id. */
  minHits: number;
  /** Cost = 1 - IoU * score in the first association (ByteTrack's default outside MOT20). */
  fuseScore: boolean;
  /**
   * Buffered IoU (C-BIoU, Yang et al. 2023): boxes are widened by this fraction of their width and height on
   * each side before the IoU, so fast, small or bouncing objects whose predicted box misses the detection still
   * match. As C-BIoU's cascade, the high-score detections are matched with plain IoU first and with widened boxes
   * for the tracks and detections left (a widened box must not take a detection that the plain boxes give to
   * another track); the low-score and tentative associations use widened boxes. 0 is ByteTrack's plain IoU.
   */
  matchBuffer: number;
  /**
   * Recovery (after OC-SORT's observation-centric recovery): confirmed tracks still unmatched after the two
   * associations are matched to the high-score detections left by buffered IoU with their last *observed* box
   * widened by this fraction (not the prediction, which a bounce or a stop makes wrong), or that box moved on by
   * the velocity observed over the track's last OBSERVED matches (the filter's velocity lags behind a turn: an
   * object hidden for a while after a bounce reappears where its observed motion says), whichever overlaps more;
   * a recovered track restarts its filter with the velocity observed between the two boxes. Only detections of
   * the track's (most frequent) class are considered: a weaker cue than the prediction, it must not hand a track
   * that left to a new object of another class. 0 disables it.
   */
  recoverBuffer: number;
  /** Recovery: largest 1 - buffered IoU of a pair. */
  recoverThresh: number;
  /** Match only detections of the track's class (else class-agnostic; a track's class is its most frequent). */
  perClass: boolean;
}

/**
 * ByteTrack's values, but: thresholds 0.1 lower (RetinaNet's focal-loss scores sit lower than YOLOX's, for which
 * ByteTrack's 0.5 / 0.6 were set), and buffered IoU and recovery on (bench tracking: on the demo video they
 * remove most identity switches of plain ByteTrack).
 */
export const BYTE_TRACK_DEFAULTS: Readonly<ByteTrackOptions> = Object.freeze({
  highThresh: 0.4,
  lowThresh: 0.1,
  newTrackThresh: 0.5,
  matchThresh: 0.8,
  secondMatchThresh: 0.5,
  unconfirmedMatchThresh: 0.7,
  trackBuffer: 30,
  minHits: 2,
  matchBuffer: 0.3,
  recoverBuffer: 1,
  recoverThresh: 0.8,
  fuseScore: true,
  perClass: false,
});

/** What a track is, as lifecycle events report it. */
export interface TrackSummary {
  trackId: number;
  classId: number;
  label: string;
  firstFrame: number;
  lastFrame: number;
  /** The frame's pts and capture time (ms since epoch) where the track was first / last matched. */
  firstPts: number;
  lastPts: number;
  firstCapture: number;
  lastCapture: number;
  /** Frames the track was matched to a detection. */
  hits: number;
  /** The last matched detection's box and score. */
  box: Box;
  score: number;
}

export type EndReason = 'lost' | 'duplicate' | 'stream_ended';

export interface TrackUpdate {
  /** The track id of each input detection (same order); undefined when not on a confirmed track. */
  trackIds: Array<number | undefined>;
  started: TrackSummary[];
  ended: Array<TrackSummary & { reason: EndReason }>;
}

/** The frame being tracked: its number (gaps are predicted over), pts (s) and capture time (ms). */
export interface FrameRef {
  frameNumber: number;
  pts: number;
  captureTime: number;
}

type State = 'tentative' | 'tracked' | 'lost';

interface Track {
  kf: KalmanBox;
  state: State;
  confirmed: boolean;
  trackId: number;
  hits: number;
  startFrame: number;
  lastFrame: number;
  firstPts: number;
  lastPts: number;
  firstCapture: number;
  lastCapture: number;
  classId: number;
  label: string;
  votes: Map<number, { n: number; label: string }>;
  box: Box;
  score: number;
  /** The last observed box centres, oldest first (at most OBSERVED of them): [frame, cx, cy]. */
  seen: Array<[number, number, number]>;
}

/** Observations kept per track for its observed velocity (recovery). */
const OBSERVED = 5;

export class ByteTracker {
  readonly options: Readonly<ByteTrackOptions>;
  private tracks: Track[] = [];
  private nextId = 1;
  private lastFrame: number | null = null;
  private frames = 0;

  constructor(options: Partial<ByteTrackOptions> = {}) {
    this.options = { ...BYTE_TRACK_DEFAULTS, ...options };
  }

  /** Tracks currently confirmed and matched (not lost). */
  get activeCount(): number {
    return this.tracks.filter((t) => t.confirmed && t.state === 'tracked').length;
  }

  update(frame: FrameRef, dets: readonly Detection[]): TrackUpdate {
    const o = this.options;
    const gap = this.lastFrame === null ? 1 : Math.max(1, frame.frameNumber - this.lastFrame);
    this.lastFrame = frame.frameNumber;
    this.frames++;
    for (const t of this.tracks) for (let g = 0; g < gap; g++) predict(t.kf, t.state === 'tracked');

    const trackIds: Array<number | undefined> = new Array(dets.length).fill(undefined);
    const started: TrackSummary[] = [];
    const ended: TrackUpdate['ended'] = [];
    const high: number[] = [];
    const low: number[] = [];
    dets.forEach((d, i) => {
      if (d.score >= o.highThresh) high.push(i);
      else if (d.score >= o.lowThresh) low.push(i);
    });
    const matched = (t: Track, i: number) => {
      const d = dets[i];
      update(t.kf, d.box);
      t.state = 'tracked';
      t.hits++;
      t.lastFrame = frame.frameNumber;
      t.lastPts = frame.pts;
      t.lastCapture = frame.captureTime;
      t.box = d.box;
      t.score = d.score;
      t.seen.push([frame.frameNumber, (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2]);
      if (t.seen.length > OBSERVED) t.seen.shift();
      const v = t.votes.get(d.classId);
      if (v) v.n++;
      else t.votes.set(d.classId, { n: 1, label: d.label });
      if (!t.confirmed && t.hits >= o.minHits) this.confirm(t, started);
      if (t.confirmed) trackIds[i] = t.trackId;
    };

    // 1. high-score detections against confirmed tracks (tracked or lost), plain IoU
    const pool = this.tracks.filter((t) => t.confirmed);
    const first = this.associate(pool, dets, high, o.matchThresh, o.fuseScore, 0);
    for (const [ti, di] of first.matches) matched(pool[ti], high[di]);
    const unmatched = () => pool.filter((t) => t.lastFrame !== frame.frameNumber);
    // 2. low-score detections against the tracks still unmatched that were tracked last frame (buffered IoU)
    const remaining = unmatched().filter((t) => t.state === 'tracked');
    const second = this.associate(remaining, dets, low, o.secondMatchThresh, false, o.matchBuffer);
    for (const [ti, di] of second.matches) matched(remaining[ti], low[di]);
    let leftHigh = first.unmatchedCols.map((c) => high[c]);
    // 2a. buffered IoU (C-BIoU's cascade: plain boxes first, widened ones for the tracks and detections left),
    //     so that a widened box does not take a detection that the plain boxes give to another track
    if (o.matchBuffer > 0 && leftHigh.length) {
      const tracks = unmatched();
      const buffered = this.associate(tracks, dets, leftHigh, o.matchThresh, o.fuseScore, o.matchBuffer);
      for (const [ti, di] of buffered.matches) matched(tracks[ti], leftHigh[di]);
      leftHigh = buffered.unmatchedCols.map((c) => leftHigh[c]);
    }
    for (const t of unmatched()) t.state = 'lost';
    // 2b. recovery: unmatched confirmed tracks by their last observed box
    if (o.recoverBuffer > 0 && leftHigh.length) {
      const tracks = unmatched();
      const rec = this.associate(tracks, dets, leftHigh, o.recoverThresh, false, o.recoverBuffer, true, frame.frameNumber);
      for (const [ti, di] of rec.matches) {
        const t = tracks[ti];
        const d = dets[leftHigh[di]];
        const gapFrames = Math.max(1, frame.frameNumber - t.lastFrame);
        const before = toXyah(t.box);
        const now = toXyah(d.box);
        t.kf = initiate(d.box);
        t.kf.v[0] = (now[0] - before[0]) / gapFrames;
        t.kf.v[1] = (now[1] - before[1]) / gapFrames;
        t.kf.p.set(now); // matched() updates with the same box: the filter starts there
        matched(t, leftHigh[di]);
      }
      leftHigh = rec.unmatchedCols.map((c) => leftHigh[c]);
    }
    // 3. tentative tracks against the high-score detections left
    const tentative = this.tracks.filter((t) => !t.confirmed);
    const third = this.associate(tentative, dets, leftHigh, o.unconfirmedMatchThresh, o.fuseScore, o.matchBuffer);
    for (const [ti, di] of third.matches) matched(tentative[ti], leftHigh[di]);
    const dropped = new Set(third.unmatchedRows.map((r) => tentative[r]));
    // 4. new tracks
    const born: Track[] = [];
    for (const c of third.unmatchedCols) {
      const i = leftHigh[c];
      if (dets[i].score < o.newTrackThresh) continue;
      const t = this.newTrack(dets[i], frame);
      born.push(t);
      if (this.frames === 1 || o.minHits <= 1) {
        this.confirm(t, started);
        trackIds[i] = t.trackId;
      }
    }
    // 5. lost tracks past the buffer end
    for (const t of this.tracks) {
      if (t.state === 'lost' && frame.frameNumber - t.lastFrame > o.trackBuffer) {
        dropped.add(t);
        if (t.confirmed) ended.push({ ...summary(t), reason: 'lost' });
      }
    }
    this.tracks = this.tracks.filter((t) => !dropped.has(t)).concat(born);
    // 6. a lost track that overlaps a tracked one almost entirely (IoU > 0.85) is a duplicate: the younger goes
    this.removeDuplicates(ended, trackIds);
    return { trackIds, started, ended };
  }

  /** Ends every confirmed track (the stream ended). */
  finish(): Array<TrackSummary & { reason: EndReason }> {
    const out = this.tracks.filter((t) => t.confirmed).map((t) => ({ ...summary(t), reason: 'stream_ended' as const }));
    this.tracks = [];
    return out;
  }

  private confirm(t: Track, started: TrackSummary[]): void {
    t.confirmed = true;
    t.trackId = this.nextId++;
    started.push(summary(t));
  }

  private newTrack(d: Detection, f: FrameRef): Track {
    return {
      kf: initiate(d.box),
      state: 'tracked',
      confirmed: false,
      trackId: 0,
      hits: 1,
      startFrame: f.frameNumber,
      lastFrame: f.frameNumber,
      firstPts: f.pts,
      lastPts: f.pts,
      firstCapture: f.captureTime,
      lastCapture: f.captureTime,
      classId: d.classId,
      label: d.label,
      votes: new Map([[d.classId, { n: 1, label: d.label }]]),
      box: d.box,
      score: d.score,
      seen: [[f.frameNumber, (d.box[0] + d.box[2]) / 2, (d.box[1] + d.box[3]) / 2]],
    };
  }

  private associate(tracks: Track[], dets: readonly Detection[], idx: number[], limit: number, fuse: boolean, buffer: number, recover = false, frameNumber = 0) {
    const n = tracks.length;
    const m = idx.length;
    const cost = new Float64Array(n * m);
    const { perClass } = this.options;
    const detBoxes = idx.map((i) => widen(dets[i].box, buffer));
    for (let r = 0; r < n; r++) {
      const t = tracks[r];
      const box = recover ? widen(t.box, buffer) : widen(toBox(t.kf), buffer);
      const ahead = recover ? widen(extrapolate(t, frameNumber), buffer) : null;
      for (let c = 0; c < m; c++) {
        const d = dets[idx[c]];
        if ((perClass || recover) && d.classId !== (recover ? majority(t).classId : t.classId)) {
          cost[r * m + c] = Infinity;
          continue;
        }
        const overlap = ahead ? Math.max(iou(box, detBoxes[c]), iou(ahead, detBoxes[c])) : iou(box, detBoxes[c]);
        cost[r * m + c] = 1 - (fuse ? overlap * d.score : overlap);
      }
    }
    return linearAssignment(cost, n, m, limit);
  }

  private removeDuplicates(ended: TrackUpdate['ended'], trackIds: Array<number | undefined>): void {
    const tracked = this.tracks.filter((t) => t.state === 'tracked');
    const lost = this.tracks.filter((t) => t.state === 'lost');
    if (!tracked.length || !lost.length) return;
    const gone = new Set<Track>();
    for (const a of tracked) {
      const ba = toBox(a.kf);
      for (const b of lost) {
        if (1 - iou(ba, toBox(b.kf)) >= 0.15) continue;
        const older = a.lastFrame - a.startFrame > b.lastFrame - b.startFrame ? a : b;
        gone.add(older === a ? b : a);
      }
    }
    if (!gone.size) return;
    for (const t of gone) {
      if (!t.confirmed) continue;
      ended.push({ ...summary(t), reason: 'duplicate' });
      for (let i = 0; i < trackIds.length; i++) if (trackIds[i] === t.trackId) trackIds[i] = undefined;
    }
    this.tracks = this.tracks.filter((t) => !gone.has(t));
  }
}

function widen(b: Box, f: number): Box {
  if (f === 0) return b;
  const dx = (b[2] - b[0]) * f;
  const dy = (b[3] - b[1]) * f;
  return [b[0] - dx, b[1] - dy, b[2] + dx, b[3] + dy];
}

/** The last observed box moved on to `frameNumber` by the velocity observed over the track's last observations. */
function extrapolate(t: Track, frameNumber: number): Box {
  const [f0, x0, y0] = t.seen[0];
  const [f1, x1, y1] = t.seen[t.seen.length - 1];
  if (f1 === f0) return t.box;
  const k = (frameNumber - f1) / (f1 - f0);
  const dx = (x1 - x0) * k;
  const dy = (y1 - y0) * k;
  return [t.box[0] + dx, t.box[1] + dy, t.box[2] + dx, t.box[3] + dy];
}

/** The track's most frequent class (the first one to get the most votes). */
function majority(t: Track): { classId: number; label: string } {
  let best = { classId: t.classId, n: 0, label: t.label };
  for (const [classId, v] of t.votes) if (v.n > best.n) best = { classId, n: v.n, label: v.label };
  return best;
}

function summary(t: Track): TrackSummary {
  const best = majority(t);
  return {
    trackId: t.trackId,
    classId: best.classId,
    label: best.label,
    firstFrame: t.startFrame,
    lastFrame: t.lastFrame,
    firstPts: t.firstPts,
    lastPts: t.lastPts,
    firstCapture: t.firstCapture,
    lastCapture: t.lastCapture,
    hits: t.hits,
    box: [t.box[0], t.box[1], t.box[2], t.box[3]],
    score: t.score,
  };
}
