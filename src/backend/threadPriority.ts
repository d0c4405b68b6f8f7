// CPU priority of the inference threads. On a machine whose cores the forward passes keep busy, the event
// loop (ffmpeg pipes, batching, WebSocket and Kafka writes) otherwise waits its turn behind them: with 500
// WebSocket clients on 2 cores, an event's delivery p99 was 45-66 ms with the inference threads at the event
// loop's priority and 28-37 ms at nice 10 (bench pipeline --inference-nice 0 vs 10; README, "The pipeline").
// Throughput does not suffer: the compute threads still take every cycle the event loop does not need.
//
// Which threads: the worker threads lower themselves when they start, so the threads they start inherit it;
// TensorFlow's compute pools, though, are started by the main thread when it loads TensorFlow, and they run
// the workers' forward passes, so every thread but the event loop is lowered once the engine is up.
//
// Linux only (a thread's nice value is its own there: setpriority(2) on a thread id); elsewhere a no-op.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The nice value inference threads get by default (0-19; 0 leaves them at the event loop's priority). */
export const DEFAULT_INFERENCE_NICE = 10;

/** The calling thread's id (Linux), or null. */
function threadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}

/**
 * Lowers the calling thread (a worker thread, at its start: the threads it starts later, such as
 * TensorFlow's pools, inherit it). Returns whether it could.
 */
export function lowerThisThread(nice: number): boolean {
  const tid = threadId();
  return tid !== null && lowerThread(tid, nice);
}

/**
 * Lowers every thread of this process but the main thread (the event loop) to `nice`: the inference workers
 * and the compute pools TensorFlow started from the main thread when it loaded, which run the workers'
 * forward passes. Returns how many it lowered.
 */
export function lowerAllButEventLoop(nice: number): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0;
  }
  return tids.filter((t) => Number(t) !== process.pid && lowerThread(Number(t), nice)).length;
}

/** Sets a thread's nice value unless it is already there or lower in priority; whether it did. */
function lowerThread(tid: number, nice: number): boolean {
  if (nice <= 0 || (threadNice(tid) ?? nice) >= nice) return false;
  try {
    setPriority(tid, nice);
    return true;
  } catch {
    return false; // the thread ended meanwhile, or this system has no per-thread priority
  }
}

/** A thread's nice value (Linux: field 19 of /proc/self/task/TID/stat), or null. */
export function threadNice(tid: number): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  } catch {
    return null;
  }
}
