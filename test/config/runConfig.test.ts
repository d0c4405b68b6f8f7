// The run configuration's postprocess keys and environment variables: good values merge, bad ones name the key or
// the variable in one line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configFromEnv, resolveRunConfig } from '../../src/config/runConfig.ts';

describe('run config: postprocess and environment', () => {
  it('defaults to the live threshold 0.3 and takes the COCO setting from a config layer', () => {
    const d = resolveRunConfig({});
    assert.deepEqual(d.postprocess, { scoreThresh: 0.3, detectionsPerImage: 100, classes: null, classAgnosticNms: false });
    const c = resolveRunConfig({ flags: { postprocess: { scoreThresh: 0.05, classes: ['person', 3], classAgnosticNms: true } } });
    assert.deepEqual(c.postprocess, { scoreThresh: 0.05, detectionsPerImage: 100, classes: ['person', 3], classAgnosticNms: true });
  });

  it('rejects bad postprocess values with the key', () => {
    assert.throws(() => resolveRunConfig({ flags: { postprocess: { scoreThresh: 1.5 } } }), /^ConfigError: postprocess\.scoreThresh: 1\.5 is not a number in \[0, 1\]$/);
    assert.throws(() => resolveRunConfig({ flags: { postprocess: { classes: 'person' } } }), /postprocess\.classes: "person" is not null or a list of class names and ids/);
    assert.throws(() => resolveRunConfig({ flags: { postprocess: { minScore: 0.5 } } }), /unknown key "postprocess\.minScore"/);
    assert.throws(() => resolveRunConfig({ flags: { scoreThresh: 0.5 } }), /^ConfigError: flags: unknown key "scoreThresh" \(known: .*postprocess.*\); did you mean "postprocess\.scoreThresh"\?$/);
  });

  it('inferenceNice defaults to 10 and must be an integer in [0, 19]', () => {
    assert.equal(resolveRunConfig({}).inferenceNice, 10);
    assert.equal(resolveRunConfig({ flags: { inferenceNice: 0 } }).inferenceNice, 0);
    assert.throws(() => resolveRunConfig({ flags: { inferenceNice: 20 } }), /^ConfigError: inferenceNice: 20 is not an integer in \[0, 19\]$/);
    assert.throws(() => resolveRunConfig({ flags: { inferenceNice: -1 } }), /^ConfigError: inferenceNice: -1 is not an integer in \[0, 19\]$/);
  });

  it('RETINASTREAM_INPUTS honours ID= and derives ids only when none is given', () => {
    assert.deepEqual(configFromEnv({ RETINASTREAM_INPUTS: 'e=/v/path.mp4, rtsp://cam/live/1' }).inputs, [{ id: 'e', url: '/v/path.mp4' }, { url: 'rtsp://cam/live/1' }]);
    assert.deepEqual(resolveRunConfig({ env: { RETINASTREAM_INPUTS: 'e=/v/path.mp4' } }).inputs, [{ id: 'e', url: '/v/path.mp4' }]);
  });

  it('a bad number in an environment variable names the variable', () => {
    assert.throws(() => configFromEnv({ RETINASTREAM_WS_PORT: 'abc' }), /^ConfigError: RETINASTREAM_WS_PORT: "abc" is not an integer in \[0, 65535\]$/);
    assert.throws(() => configFromEnv({ RETINASTREAM_WS_PORT: '70000' }), /RETINASTREAM_WS_PORT: "70000"/);
    assert.equal(resolveRunConfig({ env: { RETINASTREAM_WS_PORT: '9000' } }).sinks.ws.port, 9000);
    assert.throws(() => configFromEnv({ RETINASTREAM_MIN_SCORE: 'high' }), /^ConfigError: RETINASTREAM_MIN_SCORE: "high" is not a number in \[0, 1\)$/);
    assert.equal(resolveRunConfig({ env: { RETINASTREAM_MIN_SCORE: '0.05' } }).postprocess.scoreThresh, 0.05);
  });
});
