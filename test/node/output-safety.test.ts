// File safety: no command replaces a file it read (the model, its external data,
// through a symlinked directory or a hard link), and no output that exists as
// something other than a regular file (a FIFO, a symlink, a directory, /dev/null)
// is replaced. Each refusal is exit 2 with one line, and the file is unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { runCli, tmpDir } from '../helpers.js';
import { sha1, tempFilesIn, writeAddModel } from './fixtures.js';
import { assertSafeOutput } from '../../src/node/output-safety.js';
import { TreluError } from '../../src/errors.js';

/** A dir with m.onnx (inline) and e.onnx + e.bin (external data). */
async function setup(): Promise<{ dir: string; m: string; e: string; bin: string }> {
  const dir = tmpDir('trelu-safety-');
  const m = path.join(dir, 'm.onnx');
  writeAddModel(m, 1024, 1);
  const e = path.join(dir, 'e.onnx');
  const r = await runCli('convert', m, e, '--external-data', 'e.bin');
  assert.equal(r.code, 0, r.err.join('\n'));
  return { dir, m, e, bin: path.join(dir, 'e.bin') };
}

function snapshot(files: string[]): Record<string, string> {
  return Object.fromEntries(files.map((f) => [f, sha1(f)]));
}

async function refused(args: string[], pattern: RegExp): Promise<void> {
  const r = await runCli(...args);
  assert.equal(r.code, 2, `${args.join(' ')}: exit ${r.code}\n${r.out.join('\n')}\n${r.err.join('\n')}`);
  const error = r.err.filter((l) => l.startsWith('trelu: '));
  assert.equal(error.length, 1, `one error line: ${r.err.join('\n')}`);
  assert.match(error[0]!, pattern, r.err.join('\n'));
  assert.ok(!r.err.join('\n').includes('    at '), 'no stack trace');
}

test('an input\'s external data file is never an output, for any writing command', async () => {
  const { dir, e, m, bin } = await setup();
  const before = snapshot([e, bin, m]);
  const commands: string[][] = [
    ['convert', e, bin],
    ['convert', e, bin, '--inline-data'],
    ['replace', e, bin],
    ['insert', e, bin, '--after', 's0'],
    ['fuse', e, bin],
    ['decompose', e, bin],
    ['grad', e, bin, '--loss-fn', 'mse', '--on', 'y', '--wrt', 'x'],
  ];
  for (const args of commands) await refused(args, /e\.bin: is external data file 'e\.bin' of the input; refusing/);
  // --external-data naming the input model, or the input's own data file.
  await refused(['convert', e, path.join(dir, 'out.onnx'), '--external-data', 'e.onnx'], /--external-data e\.onnx: is the input model/);
  await refused(['convert', e, path.join(dir, 'out.onnx'), '--external-data', 'e.bin'], /--external-data e\.bin: is external data file 'e\.bin' of the input/);
  await refused(['convert', m, path.join(dir, 'out.onnx'), '--external-data', 'm.onnx'], /is the input model/);
  // --external-data naming the output model itself.
  await refused(['convert', m, path.join(dir, 'out.onnx'), '--external-data', 'out.onnx'], /is the output model/);
  assert.deepEqual(snapshot([e, bin, m]), before);
  assert.deepEqual(tempFilesIn(dir), []);
  assert.ok(!fs.existsSync(path.join(dir, 'out.onnx')));
});

test('an output that resolves to an input through a hard link or a symlinked directory is refused', async () => {
  const { dir, e, bin } = await setup();
  const before = snapshot([e, bin]);
  fs.linkSync(bin, path.join(dir, 'hard.bin'));
  fs.linkSync(e, path.join(dir, 'hard.onnx'));
  fs.symlinkSync('.', path.join(dir, 'here'));
  await refused(['convert', e, path.join(dir, 'hard.bin')], /hard\.bin: is external data file 'e\.bin' of the input/);
  await refused(['fuse', e, path.join(dir, 'hard.onnx')], /hard\.onnx: is the input model/);
  await refused(['convert', e, path.join(dir, 'here', 'e.bin')], /is external data file 'e\.bin' of the input/);
  await refused(['convert', e, path.join(dir, 'here', 'e.onnx')], /is the input model/);
  await refused(['convert', e, path.join(dir, 'x.onnx'), '--external-data', 'here/e.bin'], /is external data file 'e\.bin' of the input/);
  assert.deepEqual(snapshot([e, bin]), before);
  assert.deepEqual(tempFilesIn(dir), []);
});

test('a FIFO, a symlink or a directory as output is refused and left as it was', async () => {
  const { dir, m } = await setup();
  const fifo = path.join(dir, 'out.fifo');
  execFileSync('mkfifo', [fifo]);
  const other = path.join(dir, 'other.txt');
  fs.writeFileSync(other, 'keep me');
  const link = path.join(dir, 'link.onnx');
  fs.symlinkSync(other, link);
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  await refused(['convert', m, fifo], /out\.fifo: exists and is a FIFO, not a regular file/);
  await refused(['decompose', m, fifo], /is a FIFO/);
  await refused(['convert', m, link], /link\.onnx: exists and is a symbolic link/);
  await refused(['replace', m, link], /is a symbolic link/);
  await refused(['convert', m, sub], /sub: exists and is a directory/);
  await refused(['convert', m, path.join(dir, 'o.onnx'), '--external-data', 'out.fifo'], /--external-data out\.fifo: exists and is a FIFO/);
  await refused(['convert', m, path.join(dir, 'o.onnx'), '--external-data', 'link.onnx'], /is a symbolic link/);
  assert.ok(fs.lstatSync(fifo).isFIFO());
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readFileSync(other, 'utf8'), 'keep me');
  assert.ok(fs.statSync(sub).isDirectory());
  assert.deepEqual(fs.readdirSync(sub), []);
  assert.deepEqual(tempFilesIn(dir), []);
  assert.ok(!fs.existsSync(path.join(dir, 'o.onnx')));
});

// The commands run against a character device made for the test (mknod, as root),
// never against the machine's /dev/null: if the check ever broke, the test would
// replace its own node, not the system's. /dev/null itself only meets the check.
test('/dev/null is refused by the check every save runs first', () => {
  assert.throws(() => assertSafeOutput('/dev/null', []), (e: unknown) => e instanceof TreluError && e.code === 'E_UNSAFE_OUTPUT' && /character device/.test(e.message));
  assert.ok(fs.statSync('/dev/null').isCharacterDevice());
});

const canMknod = process.getuid?.() === 0;
test('a character device as output is refused by every writing command and stays a device', { skip: canMknod ? false : 'needs root to mknod a device node' }, async () => {
  const { dir, m } = await setup();
  const dev = path.join(dir, 'null');
  execFileSync('mknod', [dev, 'c', '1', '3']);
  const before = fs.statSync(dev);
  assert.ok(before.isCharacterDevice());
  for (const cmd of ['convert', 'fuse', 'decompose', 'replace']) await refused([cmd, m, dev], /null: exists and is a character device/);
  await refused(['grad', m, dev, '--loss-fn', 'mse', '--on', 'y', '--wrt', 'x'], /is a character device/);
  const after = fs.lstatSync(dev);
  assert.ok(after.isCharacterDevice());
  assert.equal(after.ino, before.ino);
  assert.deepEqual(tempFilesIn(dir), []);
});

test('run --output: a file in the way of the directory is refused', async () => {
  const { dir, m } = await setup();
  const file = path.join(dir, 'notadir');
  fs.writeFileSync(file, 'x');
  await refused(['run', m, '--output', file, '--repeat', '0'], /notadir: exists and is a regular file, not a directory/);
  assert.equal(fs.readFileSync(file, 'utf8'), 'x');
});

test('trelu export refuses to write over the checkpoint it exports or a file of the artifacts folder', async () => {
  const dir = tmpDir('trelu-export-safety-');
  const m = path.join(dir, 'm.onnx');
  writeAddModel(m, 8, 1);
  const art = path.join(dir, 'art');
  const built = await runCli('artifacts', m, '--out', art, '--loss-fn', 'mse', '--on', 'y', '--wrt', 'w0');
  assert.equal(built.code, 0, built.err.join('\n'));
  const ckpt = path.join(art, 'checkpoint.safetensors');
  const before = snapshot([ckpt, path.join(art, 'model.onnx')]);
  await refused(['export', art, ckpt, '--format', 'safetensors'], /checkpoint\.safetensors: is a file of the training folder .*; refusing/);
  await refused(['export', art, path.join(art, 'model.onnx')], /model\.onnx: is a file of the training folder .*; refusing/);
  assert.deepEqual(snapshot([ckpt, path.join(art, 'model.onnx')]), before);
});
