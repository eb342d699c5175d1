#!/usr/bin/env node
// One model of the corpus run (scripts/corpus.mjs starts one of these per model, so that a crash
// costs one row): every command, in-process, in order, as a user would type them. Prints one JSON
// line: [{ command, code, why }]. Usage: node scripts/corpus-model.mjs <model.onnx> <work dir> [args...]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { main } = await import(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'));
const { loadModelFile } = await import(path.join(ROOT, 'dist', 'src', 'node', 'model-file.js'));
const { modelFromProto } = await import(path.join(ROOT, 'dist', 'src', 'graph', 'from-proto.js'));
const { inferModel } = await import(path.join(ROOT, 'dist', 'src', 'graph', 'infer', 'index.js'));

const [model, work, ...given] = process.argv.slice(2);
// a conformance model comes with its own inputs (test_data_set_0/input_<i>.pb, in graph-input order): a shape or a scale must be real
const dataset = path.join(path.dirname(model), 'test_data_set_0');
const args = [...given];
fs.mkdirSync(work, { recursive: true });
const EPS = ['--ep', process.env.TRELU_CORPUS_EPS ?? 'cpu,wasm,webgpu'];
const CHECK_EPS_ARGS = JSON.parse(process.env.TRELU_CORPUS_CHECK_EPS_ARGS ?? '[]');

/** Runs one command; the "why" is the line that says what happened (an error, or the verdict). */
async function cli(command, ...argv) {
  const out = [];
  const err = [];
  const code = await main(['node', 'trelu', command, ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) });
  const verdict = [...out].reverse().find((l) => /^(verify|check-eps): /.test(l)) ?? out.find((l) => /FAILED/.test(l));
  const error = err.find((l) => l.startsWith('trelu:'));
  const why = code === 0 ? (verdict ?? '') : (error ?? verdict ?? err[0] ?? out.at(-1) ?? '');
  return { command, code, why: why.replace(/^trelu: /, '').slice(0, 160) };
}

const m = modelFromProto(loadModelFile(model).model);
inferModel(m);
if (fs.existsSync(path.join(dataset, 'input_0.pb'))) {
  m.graph.inputs.filter((v) => !v.initializer).forEach((v, i) => {
    const pb = path.join(dataset, `input_${i}.pb`);
    if (fs.existsSync(pb)) args.push('--input', `${v.name}=${pb}`);
  });
}
const floatOut = m.graph.outputs.find((v) => [1, 10, 11].includes(v.dtype));
const file = (n) => path.join(work, n);
const results = [];
const step = async (...a) => {
  const r = await cli(...a);
  results.push(r);
  return r.code === 0;
};
await step('inspect', model, '--nodes');
await step('validate', model, ...EPS);
// alpha 0 keeps the function (a discontinuity at alpha > 0 turns EP float noise into jumps of alpha)
const replaced = await step('replace', model, file('replace.onnx'), '--verify', '--alpha', '0', ...args);
const inserted = floatOut ? await step('insert', model, file('insert.onnx'), '--after', floatOut.name, '--verify', '--alpha', '0.5', ...args) : (results.push({ command: 'insert', code: 2, why: 'no float output' }), false);
const rewritten = replaced ? file('replace.onnx') : inserted ? file('insert.onnx') : undefined;
if (rewritten) {
  await step('decompose', rewritten, file('decompose.onnx'), '--verify', ...args);
  if (fs.existsSync(file('decompose.onnx'))) await step('fuse', file('decompose.onnx'), file('fuse.onnx'), '--verify', ...args);
  else results.push({ command: 'fuse', code: -1, why: 'skipped: decompose wrote nothing' });
  await step('run', rewritten, ...EPS, '--repeat', '1', ...args);
  await step('check-eps', rewritten, ...EPS, ...CHECK_EPS_ARGS, ...args);
} else {
  for (const c of ['decompose', 'fuse', 'run', 'check-eps']) results.push({ command: c, code: -1, why: 'skipped: neither replace nor insert wrote a model' });
}
process.stdout.write(JSON.stringify(results) + '\n');
