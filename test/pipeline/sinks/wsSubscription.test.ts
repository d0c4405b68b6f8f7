import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL, applyMessage, describeSubscription, detectionFilterKey, filterDetections, parseClientMessage, parseSubscriptionQuery,
  subscriptionKey, wantsStream, type Subscription,
} from '../../../src/pipeline/sinks/subscription.ts';
import type { Detection } from '../../../src/pipeline/types.ts';

const q = (s: string) => parseSubscriptionQuery(new URLSearchParams(s));

function det(label: string, classId: number, score: number): Detection {
  return { box: [0, 0, 10, 10], score, classId, label };
}

test('query: no streams means all; lists, class ids and minScore are read', () => {
  assert.deepEqual(describeSubscription(q('')), { streams: '*', classes: '*', minScore: 0 });
  assert.deepEqual(describeSubscription(q('streams=cam2,cam1&classes=person,3&minScore=0.5&token=x')), {
    streams: ['cam1', 'cam2'], classes: ['3', 'person'], minScore: 0.5,
  });
});

test('query: bad values name the parameter', () => {
  assert.throws(() => q('minScore=abc'), { code: 'RS_WS_BAD_QUERY', message: /^minScore: abc is not a number between 0 and 1$/ });
  assert.throws(() => q('minScore=1.5'), { code: 'RS_WS_BAD_QUERY', message: /minScore/ });
  assert.throws(() => q('stream=cam1'), { code: 'RS_WS_BAD_QUERY', message: /query parameter stream is not known/ });
  assert.throws(() => q('streams=cam1,,cam2'), { code: 'RS_WS_BAD_QUERY', message: /streams\[1\]: empty name/ });
});

test('messages: subscribe, unsubscribe and ping parse; each problem names the field', () => {
  assert.deepEqual(parseClientMessage('{"op":"ping"}'), { op: 'ping' });
  const sub = parseClientMessage('{"op":"subscribe","streams":["a"],"classes":["person",2],"minScore":0.25}');
  assert.equal(sub.op, 'subscribe');
  if (sub.op !== 'subscribe') return;
  assert.deepEqual([...(sub.streams as Set<string>)], ['a']);
  assert.deepEqual([...(sub.classes as Set<string>)], ['person', '2']);
  assert.equal(sub.minScore, 0.25);
  const bad: Array<[string, RegExp]> = [
    ['{"op":', /^message is not valid JSON$/],
    ['[1]', /must be a JSON object/],
    ['{"op":"dance"}', /^op: "dance" is not known/],
    ['{}', /^op: missing is not known/],
    ['{"op":"subscribe","streams":"cam1"}', /^streams: expected an array of names or "\*", got string "cam1"$/],
    ['{"op":"subscribe","streams":[1]}', /^streams\[0\]: expected a stream id string, got number 1$/],
    ['{"op":"subscribe","classes":[1.5]}', /^classes\[0\]: expected a label string or a class id/],
    ['{"op":"subscribe","minScore":"0.5"}', /^minScore: "0.5" is not a number between 0 and 1$/],
    ['{"op":"subscribe","stream":["a"]}', /^stream: not a field of op "subscribe"/],
    ['{"op":"ping","x":1}', /^x: not a field of op "ping"/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseClientMessage(text), { code: 'RS_WS_BAD_MESSAGE', message }, text);
  }
});

test('applyMessage: subscribe replaces the given fields, unsubscribe removes streams', () => {
  let sub: Subscription = ALL;
  sub = applyMessage(sub, parseClientMessage('{"op":"subscribe","streams":["a","b"]}'));
  assert.deepEqual(describeSubscription(sub), { streams: ['a', 'b'], classes: '*', minScore: 0 });
  sub = applyMessage(sub, parseClientMessage('{"op":"subscribe","minScore":0.3}'));
  assert.deepEqual(describeSubscription(sub), { streams: ['a', 'b'], classes: '*', minScore: 0.3 });
  sub = applyMessage(sub, parseClientMessage('{"op":"unsubscribe","streams":["a"]}'));
  assert.deepEqual(describeSubscription(sub).streams, ['b']);
  assert.equal(wantsStream(sub, 'a'), false);
  assert.equal(wantsStream(sub, 'b'), true);
  sub = applyMessage(sub, parseClientMessage('{"op":"unsubscribe"}'));
  assert.deepEqual(describeSubscription(sub).streams, []);
  sub = applyMessage(sub, parseClientMessage('{"op":"subscribe","streams":"*"}'));
  assert.equal(wantsStream(sub, 'anything'), true);
  assert.throws(() => applyMessage(sub, parseClientMessage('{"op":"unsubscribe","streams":["a"]}')), {
    code: 'RS_WS_BAD_MESSAGE', message: /subscribed to all/,
  });
});

test('filterDetections keeps by label or class id and score, and returns the same array when nothing is removed', () => {
  const dets = [det('person', 0, 0.9), det('car', 2, 0.4), det('dog', 16, 0.7)];
  assert.equal(filterDetections(ALL, dets), dets);
  assert.equal(filterDetections(q('minScore=0.4'), dets), dets);
  assert.deepEqual(filterDetections(q('classes=person,16'), dets).map((d) => d.label), ['person', 'dog']);
  assert.deepEqual(filterDetections(q('minScore=0.5'), dets).map((d) => d.label), ['person', 'dog']);
  assert.deepEqual(filterDetections(q('classes=car&minScore=0.5'), dets), []);
});

test('keys: same filter gives the same key regardless of order; detection key ignores streams', () => {
  assert.equal(subscriptionKey(q('streams=a,b&classes=x,y')), subscriptionKey(q('streams=b,a&classes=y,x')));
  assert.notEqual(subscriptionKey(q('streams=a')), subscriptionKey(q('streams=b')));
  assert.equal(detectionFilterKey(q('streams=a&minScore=0.5')), detectionFilterKey(q('streams=b&minScore=0.5')));
  assert.notEqual(detectionFilterKey(q('minScore=0.5')), detectionFilterKey(q('minScore=0.6')));
});
