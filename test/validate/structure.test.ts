// `trelu validate --full` against onnx.checker (Debian python3-onnx 1.12, run
// once per test run on every model below): the conformance corpus and 2,000
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

test('validate --full agrees with onnx.checker on the conformance corpus and 2,000 mutated models', () => {
  const dir = tmpDir('trelu-structure-');
  const files = [...corpusModels()];
  const seeds = loadSeeds([CONFORMANCE]);
  const random = seededRandom(424242);
  for (let i = 0; i < 2000; i++) {
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
