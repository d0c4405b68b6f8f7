// Tracking, zones and lines in the run config: defaults, --no-track, and every bad zone or line is a one-line
// ConfigError naming the key.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkZoneStreams, resolveRunConfig } from '../../src/config/runConfig.ts';
import { flagsToConfig } from '../../src/cli/commands/run.ts';

const withZones = (zones: unknown[], lines: unknown[] = [], extra: Record<string, unknown> = {}) => () => resolveRunConfig({ flags: { zones, lines, ...extra } as never });
const oneLine = (re: RegExp) => (e: Error) => e.name === 'ConfigError' && !e.message.includes('\n') && re.test(e.message);
const door = { stream: 'cam', name: 'door', polygon: [[0, 0], [100, 0], [100, 100]] };

describe('run config: tracking, zones and lines', () => {
  it('tracking is on by default with ByteTrack thresholds; --no-track turns it off', () => {
    const d = resolveRunConfig({});
    assert.equal(d.tracking.enabled, true);
    assert.deepEqual([d.tracking.highThresh, d.tracking.lowThresh, d.tracking.matchThresh, d.tracking.trackBuffer, d.tracking.matchBuffer, d.tracking.recoverBuffer], [0.4, 0.1, 0.8, 30, 0.3, 1]);
    assert.deepEqual([d.zones, d.lines], [[], []]);
    const off = resolveRunConfig({ flags: flagsToConfig(['--no-track']).flags as never });
    assert.equal(off.tracking.enabled, false);
  });

  it('good zones and lines, in pixels and fractions', () => {
    const c = withZones([door, { stream: 'cam', name: 'half', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]], units: 'fraction', anchor: 'center' }], [{ stream: 'cam', name: 'gate', from: [0, 0.5], to: [1, 0.5], units: 'fraction' }])();
    assert.equal(c.zones.length, 2);
    assert.equal(c.lines[0].name, 'gate');
  });

  it('bad tracking values name the key', () => {
    assert.throws(() => resolveRunConfig({ flags: { tracking: { trackBuffer: -1 } } }), oneLine(/^tracking\.trackBuffer: -1 is not an integer in \[0, 100000\]$/));
    assert.throws(() => resolveRunConfig({ flags: { tracking: { lowThresh: 0.7 } } }), oneLine(/^tracking\.lowThresh: 0\.7 is above tracking\.highThresh/));
    assert.throws(() => resolveRunConfig({ flags: { tracking: { buffer: 3 } } }), oneLine(/unknown key "tracking\.buffer"/));
  });

  const bad: Array<[string, () => unknown, RegExp]> = [
    ['self-intersecting polygon', withZones([{ ...door, polygon: [[0, 0], [10, 10], [10, 0], [0, 10]] }]), /^zones\[0\]\.polygon: is self-intersecting \(edge 0 crosses edge 2\)$/],
    ['degenerate polygon', withZones([{ ...door, polygon: [[0, 0], [5, 5], [10, 10]] }]), /^zones\[0\]\.polygon: is degenerate/],
    ['two points', withZones([{ ...door, polygon: [[0, 0], [5, 5]] }]), /^zones\[0\]\.polygon: has 2 point\(s\), a polygon needs at least 3$/],
    ['a point that is not [x, y]', withZones([door, { ...door, name: 'b', polygon: [[0, 0], [5], [10, 10]] }]), /^zones\[1\]\.polygon\[1\]: \[5\] is not a point \[x, y\]$/],
    ['a fraction above 1', withZones([{ ...door, units: 'fraction' }]), /^zones\[0\]\.polygon\[1\]: \[100,0\] is outside \[0, 1\] \(units "fraction"\)$/],
    ['bad units', withZones([{ ...door, units: 'cm' }]), /^zones\[0\]\.units: "cm" is not "px" or "fraction"$/],
    ['unknown key', withZones([{ ...door, colour: 'red' }]), /^zones\[0\]: unknown key "colour"/],
    ['same name twice', withZones([door, door]), /^zones\[1\]\.name: "door" is used twice on stream "cam"$/],
    ['zero-length line', withZones([], [{ stream: 'cam', name: 'g', from: [5, 5], to: [5, 5] }]), /^lines\[0\]: from and to are the same point \[5,5\] \(a line of length 0\)$/],
    ['line without a stream', withZones([], [{ name: 'g', from: [0, 5], to: [5, 5] }]), /^lines\[0\]\.stream: expected a stream id, got undefined$/],
    ['zones with tracking off', withZones([door], [], { tracking: { enabled: false } }), /^zones: zone and line events need tracking, but tracking\.enabled is false/],
    ['zones not a list', () => resolveRunConfig({ flags: { zones: { cam: [] } } as never }), /^zones: expected a list/],
  ];
  for (const [what, f, re] of bad) it(`rejects: ${what}`, () => assert.throws(f, oneLine(re)));

  it('a zone on a stream that is not an input of the run', () => {
    const c = withZones([door])();
    assert.doesNotThrow(() => checkZoneStreams(c, ['cam', 'other']));
    assert.throws(() => checkZoneStreams(c, ['demo']), oneLine(/^zones\[0\]\.stream: "cam" is not an input of this run \(inputs: demo\)$/));
  });
});
