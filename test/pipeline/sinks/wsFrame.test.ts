// The WebSocket sink frames each message once for all clients: the frame must be byte for byte what ws
// itself would send (its Sender.frame), for every length encoding (7-bit, 16-bit, 64-bit).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { textFrame } from '../../../src/pipeline/sinks/wsSink.ts';

const { Sender } = createRequire(import.meta.url)('ws') as { Sender: { frame(data: Buffer, o: object): Buffer[] } };

test('textFrame equals ws Sender.frame for a final unmasked text frame at every length encoding', () => {
  for (const n of [0, 1, 125, 126, 127, 8192, 65535, 65536, 200_000]) {
    const payload = Buffer.alloc(n, 0x61 + (n % 26));
    const expected = Buffer.concat(Sender.frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
    assert.ok(textFrame(payload).equals(expected), `length ${n}`);
  }
});
