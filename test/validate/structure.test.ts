// `trelu validate --full` against onnx.checker (Debian python3-onnx 1.12, run
// once per test run on every model below): the conformance corpus and 5,000
// mutated models (scripts/fuzz/mutate.ts, fixed seed). Wherever both parse the
// bytes and the check covers the model, the verdicts must be the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeModel } from '../../src/onnx/decode.js';
import { checkStructure } from '../../src/validate/structure/check.js';
import { seededRandom } from '../../src/runtime/random-inputs.js';
import { loadSeeds, CONFORMANCE } from '../../scripts/fuzz/corpus.js';
import { mutate } from '../../scripts/fuzz/mutate.js';
import { REPO_ROOT, corpusModels, tmpDir } from '../helpers.js';

export type Verdict = 'valid' | 'invalid' | 'unparseable' | 'abstain';

export function ourVerdict(bytes: Uint8Array): { verdict: Verdict; message?: string } {
  let model;
  try {
    model = decodeModel(bytes);
  } catch (e) {
    return { verdict: 'unparseable', message: (e as Error).message };
  }
  const r = checkStructure(model);
  if (r.findings.length) return { verdict: 'invalid', message: `${r.findings[0]!.code} ${r.findings[0]!.location}: ${r.findings[0]!.message}` };
  return r.covered ? { verdict: 'valid' } : { verdict: 'abstain', message: r.uncovered.join(', ') };
}

function onnxVerdicts(files: string[]): Map<string, { verdict: Verdict; message?: string }> {
  const r = spawnSync('/usr/bin/python3', [path.join(REPO_ROOT, 'scripts', 'onnx-checker-verdicts.py')], { input: files.join('\n') + '\n', encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`onnx oracle failed (apt-get install python3-onnx): ${r.stderr.slice(-500)}`);
  const out = new Map<string, { verdict: Verdict; message?: string }>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const j = JSON.parse(line) as { path: string; verdict: Verdict; message?: string };
    out.set(j.path, j);
  }
  return out;
}

// TRELU_STRUCTURE_MUTANTS=10000 for a longer comparison (the figure in the README).
const MUTANTS = Number(process.env.TRELU_STRUCTURE_MUTANTS ?? 5000);

test(`validate --full agrees with onnx.checker on the conformance corpus and ${MUTANTS} mutated models`, () => {
  const dir = tmpDir('trelu-structure-');
  const files = [...corpusModels()];
  const seeds = loadSeeds([CONFORMANCE]);
  const random = seededRandom(424242);
  for (let i = 0; i < MUTANTS; i++) {
    const s = seeds[Math.floor(random() * seeds.length)]!;
    const donors = [0, 1].map(() => seeds[Math.floor(random() * seeds.length)]!.tree);
    const file = path.join(dir, `m${i}.onnx`);
    fs.writeFileSync(file, mutate(s.tree, donors, random).bytes);
    files.push(file);
  }
  const theirs = onnxVerdicts(files);
  const tally: Record<string, number> = {};
  const disagreements: string[] = [];
  for (const f of files) {
    const ours = ourVerdict(new Uint8Array(fs.readFileSync(f)));
    const o = theirs.get(f)!;
    const key = `${o.verdict}/${ours.verdict}`;
    tally[key] = (tally[key] ?? 0) + 1;
    const bothSpeak = ours.verdict !== 'abstain' && ours.verdict !== 'unparseable' && o.verdict !== 'unparseable';
    if (bothSpeak && ours.verdict !== o.verdict) disagreements.push(`${path.basename(path.dirname(f))}/${path.basename(f)}: onnx ${o.verdict} (${o.message ?? ''}) / ours ${ours.verdict} (${ours.message ?? ''})`);
  }
  console.log(`onnx/ours verdicts: ${JSON.stringify(tally)}`);
  assert.deepEqual(disagreements.slice(0, 20), [], `${disagreements.length} disagreements`);
  // The comparison must have teeth: both verdicts occur where both speak.
  assert.ok((tally['valid/valid'] ?? 0) > 500 && (tally['invalid/invalid'] ?? 0) > 200, JSON.stringify(tally));
});

test('trelu validate --full: nodes out of order and a value assigned twice are exit 1 with the finding; a clean model is 0', async () => {
  const { runCli } = await import('../helpers.js');
  const Long = (await import('long')).default;
  const { onnx, DataType } = await import('../../src/onnx/proto.js');
  const { encodeModel } = await import('../../src/onnx/encode.js');
  const t = { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: Long.fromNumber(2) }] } } };
  const model = (nodes: { opType: string; input: string[]; output: string[] }[]) => encodeModel(onnx.ModelProto.create({
    irVersion: Long.fromNumber(8), opsetImport: [{ domain: '', version: Long.fromNumber(17) }],
    graph: { name: 'g', node: nodes, input: [{ name: 'x', type: t }], output: [{ name: 'z', type: t }] },
  }));
  const dir = tmpDir();
  const write = (name: string, bytes: Uint8Array) => { const f = path.join(dir, name); fs.writeFileSync(f, bytes); return f; };
  const good = write('good.onnx', model([{ opType: 'Relu', input: ['x'], output: ['y'] }, { opType: 'Relu', input: ['y'], output: ['z'] }]));
  const unordered = write('unordered.onnx', model([{ opType: 'Relu', input: ['y'], output: ['z'] }, { opType: 'Relu', input: ['x'], output: ['y'] }]));
  const twice = write('twice.onnx', model([{ opType: 'Relu', input: ['x'], output: ['z'] }, { opType: 'Relu', input: ['x'], output: ['z'] }]));
  assert.equal((await runCli('validate', good, '--full')).code, 0);
  let r = await runCli('validate', unordered, '--full');
  assert.equal(r.code, 1);
  assert.match(r.out.join('\n'), /S_TOPOLOGICAL_ORDER +graph\/node\[0\] \(Relu\): input 'y' is not a graph input/);
  r = await runCli('validate', twice, '--full', '--json');
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out.join('\n'));
  assert.equal(j.ok, false);
  assert.deepEqual(j.structure.findings.map((f: { code: string }) => f.code), ['S_SSA']);
  // Without --full the structural check does not run (the ThresholdedRelu validator has nothing to say here).
  assert.equal((await runCli('validate', unordered)).code, 0);
});
