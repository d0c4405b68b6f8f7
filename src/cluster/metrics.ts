// Prometheus metrics of a cluster worker, on the run's registry (/metrics), read from the worker when scraped.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ClusterWorker, StopCause } from './worker.ts';

export function registerClusterMetrics(registry: Registry, worker: ClusterWorker, prefix = 'retinastream_'): void {
  const registers = [registry];
  new Gauge({ name: `${prefix}cluster_streams`, help: 'Streams this cluster worker runs now', registers, collect() { this.set(worker.streams().length); } });
  new Gauge({ name: `${prefix}cluster_partitions`, help: 'Registry partitions assigned to this worker', registers, collect() { this.set(worker.owned().length); } });
  new Gauge({ name: `${prefix}cluster_fenced`, help: '1 while the worker has stopped its streams for lack of contact with Kafka', registers, collect() { this.set(worker.stats().fenced ? 1 : 0); } });
  new Counter({ name: `${prefix}cluster_assignments_total`, help: 'Assignments received (rebalances this worker took part in)', registers, collect() { this.reset(); this.inc(worker.stats().assignments); } });
  new Counter({ name: `${prefix}cluster_stream_starts_total`, help: 'Streams started by this worker', registers, collect() { this.reset(); this.inc(worker.stats().starts); } });
  new Counter({
    name: `${prefix}cluster_stream_stops_total`,
    help: 'Streams stopped by this worker, by cause: revoked (moved by a rebalance), removed (registry), changed (spec), fenced (no Kafka), shutdown',
    labelNames: ['cause'],
    registers,
    collect() {
      this.reset();
      for (const [cause, n] of Object.entries(worker.stats().stops) as Array<[StopCause, number]>) this.inc({ cause }, n);
    },
  });
}
