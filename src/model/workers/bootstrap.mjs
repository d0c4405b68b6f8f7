// Worker entry: registers the TypeScript loader (tsx), then runs the detector worker.
import { register } from 'tsx/esm/api';
register();
await import('./detectorWorker.ts');
