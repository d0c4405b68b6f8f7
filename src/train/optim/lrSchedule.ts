// Learning-rate schedule of the paper with the linear warmup torchvision and detectron2 add:
//   warmup: lr = base * (warmupFactor * (1 - it / warmupIters) + it / warmupIters) for it < warmupIters;
//   then x gamma at every milestone passed, milestones given as fractions of the run
//   (paper: 60k and 80k of 90k iterations -> [2/3, 8/9], gamma 0.1). Pure: lr is a function of the iteration.
import { TrainError } from '../losses/trainError.ts';

export interface LrScheduleOptions {
  baseLr: number;
  totalIters: number;
  /** Fractions of totalIters at which lr is multiplied by gamma. */
  milestones?: number[];
  gamma?: number;
  /** Iterations of linear warmup (0: none). torchvision and detectron2: 1000. */
  warmupIters?: number;
  /** Factor of baseLr at iteration 0 of the warmup. torchvision and detectron2: 0.001. */
  warmupFactor?: number;
}

export interface LrSchedule {
  readonly options: Required<LrScheduleOptions>;
  /** Milestones in iterations: round(fraction * totalIters). */
  readonly milestoneIters: number[];
  lrAt(iteration: number): number;
}

export function makeLrSchedule(options: LrScheduleOptions): LrSchedule {
  const o: Required<LrScheduleOptions> = { milestones: [2 / 3, 8 / 9], gamma: 0.1, warmupIters: 1000, warmupFactor: 0.001, ...options };
  const bad = (msg: string): never => {
    throw new TrainError('RS_ERR_OPTIM_CONFIG', `lr schedule: ${msg}`);
  };
  if (!(o.baseLr > 0)) bad(`baseLr ${o.baseLr} must be > 0`);
  if (!(Number.isInteger(o.totalIters) && o.totalIters > 0)) bad(`totalIters ${o.totalIters} must be a positive integer`);
  if (!(o.gamma > 0)) bad(`gamma ${o.gamma} must be > 0`);
  if (!(Number.isInteger(o.warmupIters) && o.warmupIters >= 0)) bad(`warmupIters ${o.warmupIters} must be an integer >= 0`);
  if (!(o.warmupFactor > 0 && o.warmupFactor <= 1)) bad(`warmupFactor ${o.warmupFactor} must be in (0, 1]`);
  o.milestones.forEach((m, i) => {
    if (!(m > 0 && m < 1)) bad(`milestone ${m} must be a fraction of the run in (0, 1)`);
    if (i > 0 && m <= o.milestones[i - 1]) bad(`milestones [${o.milestones}] must increase`);
  });
  const milestoneIters = o.milestones.map((m) => Math.round(m * o.totalIters));
  return {
    options: o,
    milestoneIters,
    lrAt(iteration: number): number {
      if (!(Number.isInteger(iteration) && iteration >= 0)) bad(`iteration ${iteration} must be an integer >= 0`);
      let factor = 1;
      if (iteration < o.warmupIters) {
        const alpha = iteration / o.warmupIters;
        factor = o.warmupFactor * (1 - alpha) + alpha;
      }
      const passed = milestoneIters.filter((m) => iteration >= m).length;
      return o.baseLr * factor * o.gamma ** passed;
    },
  };
}
