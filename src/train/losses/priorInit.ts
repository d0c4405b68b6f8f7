// Initial bias of the last classification conv (paper, section 4.1 "Initialization"): every anchor starts
// with foreground confidence pi, b = -log((1 - pi) / pi), so that the many background anchors do not
// produce a huge, destabilising loss in the first iterations. pi = 0.01 gives b = -4.595.
import { TrainError } from './trainError.ts';

export function initClassBias(priorProb = 0.01): number {
  if (!(priorProb > 0 && priorProb < 1)) throw new TrainError('RS_ERR_LOSS_INPUT', `initClassBias: prior probability ${priorProb} must be in (0, 1)`);
  return -Math.log((1 - priorProb) / priorProb);
}
