// The bench's WebSocket clients, in a process of their own (forked by wsFanoutRun.ts), so that decoding
// 20,000 messages a second is not charged to the pipeline's event loop. Protocol over the IPC channel:
//   parent -> {connect: url, clients: N}          child -> {connected: N} | {error: message}
//   parent -> {report: true}                      child -> {received: n, other: n}
//   parent -> {close: true}                       child -> {received: [[streamId, frameNumber, epochMs], ...], other: n, cpuMs}
// cpuMs: CPU time the clients took from the machine after they connected (they share its cores with
// the pipeline; a leaner hand-written frame reader in JS took only 10-25% less than `ws`: the C clients of
// wsBenchClients.c are the lean ones, these the fallback where no C compiler is).
// Receive times are CLOCK_MONOTONIC in ms (monotonicMs), the clock the parent stamps writes with.
import { WebSocket } from 'ws';
import { monotonicMs } from './wsBenchClients.ts';

const EVENT_ID = /^\{"schemaVersion":1,"type":"detections","streamId":"((?:[^"\\]|\\.)*)","frameNumber":(\d+)/;
const sockets: WebSocket[] = [];
const received: Array<[string, number, number]> = [];
let other = 0;
let cpuAtConnect: NodeJS.CpuUsage | undefined;

function connect(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = new WebSocket(url);
    s.once('message', () => {
      sockets.push(s);
      s.on('message', (data) => {
        const at = monotonicMs();
        // only the head of the message names the event
        const head = Buffer.isBuffer(data) ? data.toString('utf8', 0, 256) : String(data);
        const m = EVENT_ID.exec(head);
        if (!m) return void other++;
        received.push([JSON.parse(`"${m[1]}"`) as string, Number(m[2]), at]);
      });
      resolve();
    }); // the hello frame
    s.once('error', reject);
  });
}

process.on('message', async (msg: { connect?: string; clients?: number; report?: boolean; close?: boolean }) => {
  if (msg.connect) {
    try {
      // in waves, so the accept queue and the handshakes do not time out on a busy machine
      for (let i = 0; i < msg.clients!; i += 50) await Promise.all(Array.from({ length: Math.min(50, msg.clients! - i) }, () => connect(msg.connect!)));
      cpuAtConnect = process.cpuUsage();
      process.send!({ connected: sockets.length });
    } catch (e) {
      process.send!({ error: (e as Error).message });
    }
  } else if (msg.report) {
    process.send!({ received: received.length, other });
  } else if (msg.close) {
    for (const s of sockets) s.terminate();
    const cpu = process.cpuUsage(cpuAtConnect);
    process.send!({ received, other, cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
  }
});
