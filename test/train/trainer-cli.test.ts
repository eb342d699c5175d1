// trelu artifacts / train / export end to end on the sample MLP and the digits data: kill -9 at
// random moments and --resume gives the same parameters as an unbroken run; bad input is one
// line and exit 2 (1 for a diverging run) with the last good checkpoint intact; export keeps
// every byte of the original model but the trained initializers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { decodeModel } from '../../src/onnx/decode.js';
import { encodeModel } from '../../src/onnx/encode.js';
import { tensorToFloat32 } from '../../src/onnx/tensor.js';
import { decodeSafetensors } from '../../src/train/checkpoint/safetensors.js';
import { withInitializers } from '../../src/train/trainer/trainer.js';
import { listCheckpoints } from '../../src/node/training-files.js';
import { toNpy, runOnCpu } from '../../src/runtime/index.js';
import { REPO_ROOT, runCli, tmpDir } from '../helpers.js';
import { LOSS_FUNCTIONS } from '../../src/train/loss.js';
import { LOSS_FN_HELP } from '../../src/cli/loss-help.js';

const DIGITS = path.join(REPO_ROOT, 'models', 'digits.csv.gz');
const BIN = path.join(REPO_ROOT, 'bin', 'trelu.js');
const TRAIN = ['--data', DIGITS, '--epochs', '2', '--batch-size', '64', '--shuffle', '--seed', '7', '--lr-schedule', 'cosine', '--warmup', '5', '--checkpoint-every', '1', '--keep', '2', '--no-progress'];

let base: string | undefined;
/** A folder of artifacts for the MLP with ThresholdedRelu (built once; copied per test). */
async function artifacts(): Promise<string> {
  if (base) return base;
  const dir = tmpDir('trelu-train-');
  const model = path.join(dir, 'mlp-trelu.onnx');
  assert.equal((await runCli('replace', path.join(REPO_ROOT, 'models', 'mlp.onnx'), model, '--alpha', '0.1')).code, 0);
  const r = await runCli('artifacts', model, '--out', path.join(dir, 'a'), '--loss-fn', 'cross-entropy', '--on', 'logits', '--optimizer', 'momentum', '--nesterov', '--lr', '0.01', '--weight-decay', '1e-4');
  assert.equal(r.code, 0, r.err.join('\n'));
  base = path.join(dir, 'a');
  return base;
}

function copyOf(dir: string): string {
  const to = path.join(tmpDir('trelu-run-'), 'run');
  fs.cpSync(dir, to, { recursive: true });
  return to;
}

function tensorsOf(file: string): Map<string, Buffer> {
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)));
  return new Map([...tensors].map(([k, t]) => [k, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength)]));
}

// Long enough (8 epochs, a checkpoint per step) that the kills land inside the run on an idle machine too.
const TRAIN_LONG = TRAIN.map((a, i) => (TRAIN[i - 1] === '--epochs' ? '8' : a));

function spawnTrain(dir: string, extra: string[] = []) {
  return spawn(process.execPath, [BIN, 'train', dir, ...TRAIN_LONG, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
}

const exited = (p: ReturnType<typeof spawn>) => new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));

test('kill -9 at random moments, then --resume: the same parameters, optimizer state and metadata as an unbroken run', async () => {
  const a = await artifacts();
  const whole = copyOf(a);
  const r = await runCli('train', whole, ...TRAIN_LONG);
  assert.equal(r.code, 0, r.err.join('\n'));
  const reference = listCheckpoints(whole)[0]!;
  assert.equal(reference.step, 8 * 29, '8 epochs of 29 batches');
  const broken = copyOf(a);
  let kills = 0;
  for (const delay of [150, 60, 250, 20]) {
    const child = spawnTrain(broken, kills ? ['--resume'] : []);
    // Wait for training to be under way (a checkpoint newer than the last kill's), then kill at a random moment.
    const before = listCheckpoints(broken)[0]?.step ?? 0;
    const started = Date.now();
    while (Date.now() - started < 20000 && (listCheckpoints(broken)[0]?.step ?? 0) <= before && child.exitCode === null) await new Promise((res) => setTimeout(res, 5));
    await new Promise((res) => setTimeout(res, Math.random() * delay));
    if (child.exitCode !== null) break;
    child.kill('SIGKILL');
    await exited(child);
    kills++;
    // Whatever the moment, every checkpoint is complete.
    for (const c of listCheckpoints(broken)) decodeSafetensors(new Uint8Array(fs.readFileSync(c.file)), c.file);
  }
  assert.ok(kills >= 2, `killed ${kills} times before the run ended`);
  const resumed = await runCli('train', broken, ...TRAIN_LONG, '--resume');
  assert.equal(resumed.code, 0, resumed.err.join('\n'));
  const last = listCheckpoints(broken)[0]!;
  assert.equal(last.step, reference.step);
  assert.deepEqual(tensorsOf(last.file), tensorsOf(reference.file));
  assert.deepEqual(decodeSafetensors(new Uint8Array(fs.readFileSync(last.file))).metadata, decodeSafetensors(new Uint8Array(fs.readFileSync(reference.file))).metadata);
  assert.ok(listCheckpoints(broken).length <= 2, '--keep 2');
  // Training worked: the loss fell and the metrics and plot are there.
  const metrics = fs.readFileSync(path.join(whole, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(metrics.length, 8);
  assert.ok(metrics[7].train_loss < metrics[0].train_loss && metrics[7].train_accuracy > 0.8, JSON.stringify(metrics));
  assert.match(fs.readFileSync(path.join(whole, 'metrics.svg'), 'utf8'), /<svg[\s\S]*train loss/);
});

test('trelu export: the original bytes except the trained initializers; the exported model runs and gives eval.onnx\'s logits; --format safetensors has torch keys', async () => {
  const run = copyOf(await artifacts());
  assert.equal((await runCli('train', run, '--data', DIGITS, '--epochs', '1', '--batch-size', '128', '--no-progress')).code, 0);
  const out = path.join(path.dirname(run), 'trained.onnx');
  const r = await runCli('export', run, out);
  assert.equal(r.code, 0, r.err.join('\n'));
  const original = new Uint8Array(fs.readFileSync(path.join(run, 'model.onnx')));
  const exported = decodeModel(new Uint8Array(fs.readFileSync(out)));
  const ck = listCheckpoints(run)[0]!;
  const trained = decodeSafetensors(new Uint8Array(fs.readFileSync(ck.file))).tensors;
  for (const t of exported.graph!.initializer) assert.deepEqual(tensorToFloat32(t), trained.get(t.name)!.data, t.name);
  // Putting the original values back gives the original file, byte for byte.
  const back = withInitializers(exported, new Map(decodeModel(original).graph!.initializer.map((t) => [t.name, tensorToFloat32(t)])));
  assert.deepEqual(Buffer.from(encodeModel(back)), Buffer.from(original));
  const x = { type: 'float32', data: Float32Array.from({ length: 3 * 64 }, (_, i) => (i * 7) % 17), dims: [3, 64] };
  const y = await runOnCpu(out, { input: x });
  const params = Object.fromEntries([...trained].filter(([k]) => !k.startsWith('optimizer.')).map(([k, t]) => [k, { type: 'float32', data: t.data, dims: t.dims }]));
  const e = await runOnCpu(path.join(run, 'eval.onnx'), { input: x, labels: { type: 'int64', data: BigInt64Array.of(0n, 1n, 2n), dims: [3] }, ...params });
  assert.deepEqual(y.logits!.data, e.logits!.data);
  const st = path.join(path.dirname(run), 'w.safetensors');
  assert.equal((await runCli('export', run, st, '--format', 'safetensors')).code, 0);
  assert.deepEqual([...decodeSafetensors(new Uint8Array(fs.readFileSync(st))).tensors.keys()], ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
  // Export never writes over a file of the folder.
  const before = fs.readFileSync(path.join(run, 'checkpoint.safetensors'));
  for (const target of [path.join(run, 'checkpoint.safetensors'), ck.file, path.join(run, 'model.onnx')]) {
    const bad = await runCli('export', run, target, '--format', target.endsWith('.onnx') ? 'onnx' : 'safetensors');
    assert.equal(bad.code, 2, `${target}: ${bad.err.join(' | ')}`);
  }
  assert.deepEqual(fs.readFileSync(path.join(run, 'checkpoint.safetensors')), before);
  const dev = await runCli('export', run, '/dev/null');
  assert.equal(dev.code, 2, 'a device is never an output');
  assert.match(dev.err[0]!, /not a regular file/);
  const self = await runCli('artifacts', path.join(run, 'model.onnx'), '--out', run, '--loss-fn', 'cross-entropy', '--on', 'logits');
  assert.equal(self.code, 2);
  assert.match(self.err[0]!, /refusing to overwrite/);
});

test('every --loss-fn of trelu grad builds artifacts in both formats and trains from the CLI: l1 and bce-with-logits on float targets, nll on class labels', async () => {
  const a = await artifacts();
  const dir = tmpDir('trelu-losses-');
  const x = Float32Array.from({ length: 40 * 64 }, (_, i) => Math.sin(i) * 0.5);
  fs.writeFileSync(path.join(dir, 'x.npy'), toNpy({ type: 'float32', data: x, dims: [40, 64] }));
  const targets = {
    l1: { type: 'float32', data: Float32Array.from({ length: 400 }, (_, i) => Math.cos(i) * 0.1), dims: [40, 10] },
    'bce-with-logits': { type: 'float32', data: Float32Array.from({ length: 400 }, (_, i) => (i % 3 === 0 ? 1 : 0)), dims: [40, 10] },
    nll: { type: 'int64', data: BigInt64Array.from({ length: 40 }, (_, i) => BigInt(i % 10)), dims: [40] },
  } as const;
  for (const [fn, y] of Object.entries(targets)) {
    fs.writeFileSync(path.join(dir, `${fn}.npy`), toNpy(y));
    const out = path.join(dir, fn);
    const built = await runCli('artifacts', path.join(a, 'model.onnx'), '--out', out, '--loss-fn', fn, '--on', 'logits', '--optimizer', 'sgd', '--lr', '0.05');
    assert.equal(built.code, 0, `${fn}: ${built.err.join('\n')}`);
    const ort = await runCli('artifacts', path.join(a, 'model.onnx'), '--out', path.join(dir, `${fn}-ort`), '--format', 'ort', '--loss-fn', fn, '--on', 'logits');
    assert.equal(ort.code, 0, `${fn} --format ort: ${ort.err.join('\n')}`);
    const r = await runCli('train', out, '--data', `${path.join(dir, 'x.npy')},${path.join(dir, `${fn}.npy`)}`, '--epochs', '4', '--batch-size', '10', '--no-progress', '--json');
    assert.equal(r.code, 0, `${fn}: ${r.err.join('\n')}`);
    const epochs = JSON.parse(r.out.join('\n')).epochs as { train_loss: number }[];
    assert.ok(epochs.every((e) => Number.isFinite(e.train_loss)) && epochs[3]!.train_loss < epochs[0]!.train_loss, `${fn}: ${JSON.stringify(epochs)}`);
  }
  const bad = await runCli('artifacts', path.join(a, 'model.onnx'), '--out', path.join(dir, 'bad'), '--loss-fn', 'hinge', '--on', 'logits');
  assert.equal(bad.code, 2);
  assert.match(bad.err[0]!, /--loss-fn 'hinge' is not one of mse, l1, bce-with-logits, cross-entropy, nll/);
  assert.ok(!fs.existsSync(path.join(dir, 'bad')), 'nothing written for a bad --loss-fn');
  for (const fn of LOSS_FUNCTIONS) assert.ok(LOSS_FN_HELP.includes(fn), `--loss-fn's help names ${fn}`);
});

test('bad input: one line and exit 2 (1 for a diverging run), the last good checkpoint intact', async () => {
  const a = await artifacts();
  const run = copyOf(a);
  const dir = path.dirname(run);
  const oneLine = (r: { err: string[] }) => {
    assert.ok(r.err.length >= 1 && r.err.length <= 2 && r.err[0]!.startsWith('trelu: '), r.err.join('\n'));
    assert.ok(!r.err.join('\n').includes('    at '), 'no stack trace');
  };
  const npy = (name: string, t: { type: string; data: Float32Array | BigInt64Array; dims: number[] }) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, toNpy(t));
    return f;
  };
  const x = Float32Array.from({ length: 10 * 64 }, (_, i) => i % 5);
  const labels = BigInt64Array.from({ length: 10 }, (_, i) => BigInt(i % 10));
  const xy = `${npy('x.npy', { type: 'float32', data: x, dims: [10, 64] })},${npy('y.npy', { type: 'int64', data: labels, dims: [10] })}`;
  assert.equal((await runCli('train', run, '--data', xy, '--no-progress')).code, 0, 'a pair of .npy files trains');
  const good = listCheckpoints(run)[0]!;
  const goodBytes = fs.readFileSync(good.file);
  const cases: [string, string[]][] = [
    ['NaN in the data', ['--data', `${npy('xn.npy', { type: 'float32', data: x.map((v, i) => (i === 77 ? NaN : v)), dims: [10, 64] })},${path.join(dir, 'y.npy')}`]],
    ['63 features for a 64-input model', ['--data', `${npy('x63.npy', { type: 'float32', data: new Float32Array(630), dims: [10, 63] })},${path.join(dir, 'y.npy')}`]],
    ['fractional class labels', ['--data', `${path.join(dir, 'x.npy')},${npy('yf.npy', { type: 'float32', data: Float32Array.from({ length: 10 }, () => 0.5), dims: [10] })}`]],
    ['labels out of range', ['--data', `${path.join(dir, 'x.npy')},${npy('y99.npy', { type: 'int64', data: labels.map(() => 99n), dims: [10] })}`]],
    ['10 samples, 9 labels', ['--data', `${path.join(dir, 'x.npy')},${npy('y9.npy', { type: 'int64', data: labels.slice(0, 9), dims: [9] })}`]],
    ['a CSV column that does not exist', ['--data', DIGITS, '--label', 'nope']],
    ['a bad --lr-schedule', ['--data', xy, '--lr-schedule', 'step']],
    ['checkpoints there without --resume', ['--data', xy]],
  ];
  for (const [what, args] of cases) {
    const r = await runCli('train', run, ...args, '--no-progress');
    assert.equal(r.code, 2, `${what}: ${r.err.join(' | ')}`);
    oneLine(r);
  }
  // A truncated newest checkpoint, and one of other artifacts: --resume refuses.
  const truncated = path.join(path.dirname(good.file), 'step-00000999.safetensors');
  fs.writeFileSync(truncated, goodBytes.subarray(0, goodBytes.length - 100));
  let r = await runCli('train', run, '--data', xy, '--resume', '--no-progress');
  assert.equal(r.code, 2, r.err.join('\n'));
  assert.match(r.err[0]!, /truncated/);
  fs.rmSync(truncated);
  const other = path.join(dir, 'other');
  assert.equal((await runCli('artifacts', path.join(a, 'model.onnx'), '--out', other, '--loss-fn', 'cross-entropy', '--on', 'logits', '--optimizer', 'adamw')).code, 0);
  fs.copyFileSync(path.join(other, 'checkpoint.safetensors'), path.join(path.dirname(good.file), 'step-00000998.safetensors'));
  r = await runCli('train', run, '--data', xy, '--resume', '--no-progress');
  assert.equal(r.code, 2);
  assert.match(r.err[0]!, /other training artifacts/);
  fs.rmSync(path.join(path.dirname(good.file), 'step-00000998.safetensors'));
  // Diverging: exit 1, and the checkpoints that exist are the good ones.
  r = await runCli('train', run, '--data', xy, '--resume', '--lr', '1e30', '--epochs', '4', '--checkpoint-every', '1', '--no-progress');
  assert.equal(r.code, 1, r.err.join('\n'));
  assert.match(r.err.join('\n'), /diverged/);
  for (const c of listCheckpoints(run)) {
    const t = decodeSafetensors(new Uint8Array(fs.readFileSync(c.file))).tensors;
    for (const [k, v] of t) assert.ok((v.data as Float32Array).every(Number.isFinite), `${c.file}: ${k} is finite`);
  }
  assert.deepEqual(fs.readFileSync(good.file), goodBytes, 'the last good checkpoint is untouched');
  // Artifacts: an existing folder is not overwritten; unknown --freeze names and optimizers are refused.
  for (const args of [['--out', run], ['--out', path.join(dir, 'x1'), '--freeze', 'fc9.weight'], ['--out', path.join(dir, 'x2'), '--optimizer', 'lion'], ['--out', path.join(dir, 'x3'), '--nesterov'], ['--out', path.join(dir, 'x4'), '--freeze', '/./']]) {
    const res = await runCli('artifacts', path.join(a, 'model.onnx'), '--loss-fn', 'cross-entropy', '--on', 'logits', ...args);
    assert.equal(res.code, 2, `${args.join(' ')}: ${res.err.join(' | ')}`);
    oneLine(res);
  }
});

test('trelu artifacts --freeze: frozen parameters stay initializers of the train step and keep their values', async () => {
  const a = await artifacts();
  const out = path.join(tmpDir('trelu-freeze-'), 'f');
  const r = await runCli('artifacts', path.join(a, 'model.onnx'), '--out', out, '--loss-fn', 'cross-entropy', '--on', 'logits', '--freeze', '/^fc1\\./', '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const m = JSON.parse(r.out.join('\n')).manifest;
  assert.deepEqual(m.parameters.filter((p: { role: string }) => p.role === 'frozen').map((p: { initializer: string }) => p.initializer), ['fc1.weight', 'fc1.bias']);
  const step = decodeModel(new Uint8Array(fs.readFileSync(path.join(out, 'train_step.onnx'))));
  assert.deepEqual(step.graph!.initializer.map((t) => t.name).filter((n) => n.startsWith('fc')).sort(), ['fc1.bias', 'fc1.weight']);
  assert.equal((await runCli('train', out, '--data', DIGITS, '--epochs', '1', '--batch-size', '256', '--no-progress')).code, 0);
  const exported = path.join(path.dirname(out), 'e.onnx');
  assert.equal((await runCli('export', out, exported)).code, 0);
  const orig = decodeModel(new Uint8Array(fs.readFileSync(path.join(out, 'model.onnx')))).graph!.initializer;
  const now = decodeModel(new Uint8Array(fs.readFileSync(exported))).graph!.initializer;
  for (const t of now) {
    const same = Buffer.compare(Buffer.from(tensorToFloat32(t).buffer), Buffer.from(tensorToFloat32(orig.find((o) => o.name === t.name)!).buffer)) === 0;
    assert.equal(same, t.name.startsWith('fc1.'), t.name);
  }
});

test('mse artifacts train on float targets (.npy pair, wasm EP); export with external data above a threshold', async () => {
  const a = await artifacts();
  const dir = tmpDir('trelu-mse-');
  const out = path.join(dir, 'mse');
  assert.equal((await runCli('artifacts', path.join(a, 'model.onnx'), '--out', out, '--loss-fn', 'mse', '--on', 'logits', '--optimizer', 'sgd', '--lr', '0.01')).code, 0);
  const x = Float32Array.from({ length: 40 * 64 }, (_, i) => Math.sin(i) * 0.5);
  const y = Float32Array.from({ length: 40 * 10 }, (_, i) => Math.cos(i) * 0.1);
  fs.writeFileSync(path.join(dir, 'x.npy'), toNpy({ type: 'float32', data: x, dims: [40, 64] }));
  fs.writeFileSync(path.join(dir, 'y.npy'), toNpy({ type: 'float32', data: y, dims: [40, 10] }));
  const r = await runCli('train', out, '--data', `${path.join(dir, 'x.npy')},${path.join(dir, 'y.npy')}`, '--epochs', '4', '--batch-size', '10', '--ep', 'wasm', '--no-progress', '--json');
  assert.equal(r.code, 0, r.err.join('\n'));
  const epochs = JSON.parse(r.out.join('\n')).epochs as { train_loss: number; train_accuracy?: number }[];
  assert.equal(epochs.length, 4);
  assert.ok(epochs[3]!.train_loss < epochs[0]!.train_loss && epochs[0]!.train_accuracy === undefined, JSON.stringify(epochs));
  const onnxOut = path.join(dir, 'e.onnx');
  assert.equal((await runCli('export', out, onnxOut, '--external-data', 'e.bin', '--size-threshold', '1024')).code, 0);
  const proto = decodeModel(new Uint8Array(fs.readFileSync(onnxOut)));
  const external = proto.graph!.initializer.filter((t) => t.dataLocation === 1).map((t) => t.name).sort();
  assert.deepEqual(external, ['fc1.weight', 'fc2.weight', 'fc3.weight'], 'weights of >= 1 KiB moved out; biases < 1 KiB stay');
  const ran = await runOnCpu(onnxOut, { input: { type: 'float32', data: x.subarray(0, 64), dims: [1, 64] } });
  assert.equal(ran.logits!.dims.join(), '1,10');
});

test('a full disk while checkpointing: one line, exit 2, the last good checkpoint intact, no temp file left', async (t) => {
  // A 'disk' that fills up: a small tmpfs in a private mount namespace (unshare -r -m, no root needed).
  const probe = spawnSync('unshare', ['-r', '-m', 'true']);
  if (probe.status !== 0) {
    t.skip(`unshare -r -m is not permitted here (${probe.stderr?.toString().trim() || probe.error?.message}); cannot make a full disk`);
    return;
  }
  const a = await artifacts();
  const host = tmpDir('trelu-full-');
  const mnt = path.join(host, 'disk');
  const saved = path.join(host, 'saved');
  fs.mkdirSync(mnt);
  const used = fs.readdirSync(a).reduce((n, f) => n + (fs.statSync(path.join(a, f)).isFile() ? fs.statSync(path.join(a, f)).size : 0), 0);
  const ckpt = fs.statSync(path.join(a, 'checkpoint.safetensors')).size;
  const kib = Math.ceil((used + 1.5 * ckpt + 48 * 1024) / 1024);
  const script = [
    `mount -t tmpfs -o size=${kib}k tmpfs '${mnt}'`,
    `cp -r '${a}' '${mnt}/run'`,
    `'${process.execPath}' '${BIN}' train '${mnt}/run' --data '${DIGITS}' --epochs 1 --batch-size 64 --checkpoint-every 1 --keep 5 --no-progress 2>'${host}/stderr'; echo $? > '${host}/rc'`,
    `cp -r '${mnt}/run/checkpoints' '${saved}'`,
    `ls -a '${mnt}/run/checkpoints' > '${host}/listing'`,
  ].join(' && ');
  const r = spawnSync('unshare', ['-r', '-m', 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
  assert.equal(r.status, 0, r.stderr);
  const stderr = fs.readFileSync(path.join(host, 'stderr'), 'utf8').trim().split('\n');
  assert.equal(fs.readFileSync(path.join(host, 'rc'), 'utf8').trim(), '2', stderr.join('\n'));
  assert.match(stderr[0]!, /^trelu: .*step-\d+\.safetensors: cannot write \(no space left on the device, ENOSPC\)$/);
  assert.ok(stderr.length <= 2 && !stderr.join('\n').includes('    at '));
  const listing = fs.readFileSync(path.join(host, 'listing'), 'utf8').split('\n').filter((f) => f && f !== '.' && f !== '..');
  assert.ok(listing.length >= 1 && listing.every((f) => /^step-\d{8}\.safetensors$/.test(f)), `only complete checkpoints, no temp files: ${listing.join(', ')}`);
  for (const f of listing) decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(saved, f))), f);
});
