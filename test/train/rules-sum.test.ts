// Sum (variadic Add, src/train/rules/sum.ts): broadcast inputs summed back, an input used twice;
// float64 central differences in ORT, then wasm and webgpu against cpu.
import { test } from 'node:test';
import { checkAcrossEps, checkWithOrt, type Fixture } from './rule-fixtures.js';

const FIXTURES: Record<string, Fixture> = {
  'three inputs, broadcast': { nodes: [{ opType: 'Sum', input: ['x', 'B', 'C'], output: ['y'] }], x: [3, 4], y: [3, 4], params: [{ name: 'B', dims: [4] }, { name: 'C', dims: [3, 1] }] },
  'one input': { nodes: [{ opType: 'Sum', input: ['x'], output: ['y'] }], x: [5], y: [5] },
  'x twice and a scalar': { nodes: [{ opType: 'Sum', input: ['x', 'x', 'S'], output: ['s'] }, { opType: 'Mul', input: ['s', 'x'], output: ['y'] }], x: [2, 3], y: [2, 3], params: [{ name: 'S', dims: [] }] },
};

for (const [label, f] of Object.entries(FIXTURES)) {
  test(`Sum gradient: ${label} (float64 central differences in ORT; wasm and webgpu equal cpu)`, async () => {
    await checkWithOrt(label, f);
    await checkAcrossEps(label, f);
  });
}
