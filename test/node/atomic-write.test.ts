// Atomic model + data writes: at every rename a save makes, the pair on disk
// is the old one or the new one; the data file names alternate (w.bin ↔ w.1.bin)
// when the replaced model reads the requested one; full disks and stale temp
// files of killed writers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadModelFile, loadModelFileAsync } from '../../src/node/model-file.js';
import { saveModelFile, saveModelFileAsync } from '../../src/node/save-model.js';
import { externalDataInfo, isExternal } from '../../src/onnx/external-data.js';
import type { TensorProto } from '../../src/onnx/proto.js';
import { runCli, tmpDir } from '../helpers.js';
import { tempFilesIn, weightsDigest, writeAddModel } from './fixtures.js';

function locations(file: string): string[] {
  const m = loadModelFile(file).model;
  return [...new Set(m.graph!.initializer.filter((t) => isExternal(t as TensorProto)).map((t) => externalDataInfo(t as TensorProto).relativePath))];
}

/** Calls `check` before and after every fs.renameSync made while `fn` runs. */
async function atEveryRename(fn: () => unknown, check: (when: string) => void): Promise<number> {
  const real = fs.renameSync;
  let renames = 0;
  fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
    check(`before renaming ${path.basename(String(to))}`);
    real(from, to);
    renames++;
    check(`after renaming ${path.basename(String(to))}`);
  };
  try {
    await fn();
  } finally {
    fs.renameSync = real;
  }
  return renames;
}

for (const mode of ['external-data', 'copied-data'] as const) {
  for (const flavour of ['sync', 'async'] as const) {
    test(`${mode}, ${flavour} save over an existing pair: at every rename the output holds the old or the new weights`, async () => {
      const dir = tmpDir('trelu-atomic-');
      const srcDir = path.join(dir, 'src');
      fs.mkdirSync(srcDir);
      const a = path.join(srcDir, 'a.onnx');
      const b = path.join(srcDir, 'b.onnx');
      writeAddModel(a, 4096, 1);
      writeAddModel(b, 4096, 50);
      // For the copied-data mode the sources themselves keep their tensors in w.bin.
      const [ea, eb] = [path.join(srcDir, 'ea', 'm.onnx'), path.join(srcDir, 'eb', 'm.onnx')];
      for (const [from, to] of [[a, ea], [b, eb]] as const) {
        fs.mkdirSync(path.dirname(to));
        assert.equal((await runCli('convert', from, to, '--external-data', 'w.bin')).code, 0);
      }
      const [dA, dB] = [weightsDigest(a), weightsDigest(b)];
      const out = path.join(dir, 'out.onnx');
      const save = async (src: string) => {
        const loaded = flavour === 'sync' ? loadModelFile(src) : await loadModelFileAsync(src);
        const options = { source: loaded, ...(mode === 'external-data' ? { externalData: { location: 'w.bin' } } : {}) };
        return flavour === 'sync' ? saveModelFile(loaded.model, out, options) : saveModelFileAsync(loaded.model, out, options);
      };
      const [first, second] = mode === 'external-data' ? [a, b] : [ea, eb];
      await save(first);
      assert.equal(weightsDigest(out), dA);
      assert.deepEqual(locations(out), ['w.bin']);
      const checked: string[] = [];
      const renames = await atEveryRename(() => save(second), (when) => {
        const d = weightsDigest(out);
        assert.ok(d === dA || d === dB, `${when}: the output holds neither model's weights`);
        checked.push(when);
      });
      assert.equal(renames, 2, 'a data file and the model were renamed into place');
      assert.equal(weightsDigest(out), dB);
      assert.deepEqual(locations(out), ['w.1.bin'], 'the new data went to the alternate name');
      assert.ok(!fs.existsSync(path.join(dir, 'w.bin')), 'the replaced model\'s data was removed');
      // And back: the requested name is free again.
      await save(first);
      assert.deepEqual(locations(out), ['w.bin']);
      assert.ok(!fs.existsSync(path.join(dir, 'w.1.bin')));
      assert.equal(weightsDigest(out), dA);
      assert.deepEqual(tempFilesIn(dir), []);
    });
  }
}

test('a fresh output gets the requested data name; an orphan data file under it is replaced', async () => {
  const dir = tmpDir('trelu-atomic-');
  const a = path.join(dir, 'a.onnx');
  writeAddModel(a, 4096, 1);
  fs.writeFileSync(path.join(dir, 'w.bin'), 'an orphan from a killed run');
  const out = path.join(dir, 'out.onnx');
  assert.equal((await runCli('convert', a, out, '--external-data', 'w.bin')).code, 0);
  assert.deepEqual(locations(out), ['w.bin']);
  assert.equal(weightsDigest(out), weightsDigest(a));
});

test('stale temp files: the next write removes those of its own targets, reports others; trelu clean lists and removes them', async () => {
  const dir = tmpDir('trelu-stale-');
  const a = path.join(dir, 'a.onnx');
  writeAddModel(a, 256, 1);
  const deadPid = 2 ** 22 + 12345; // above Linux's pid_max default: never a live process
  const mine = path.join(dir, `.out.onnx.trelu-tmp-${deadPid}-abcdef`);
  const other = path.join(dir, `.other.onnx.trelu-tmp-${deadPid}-012345`);
  const live = path.join(dir, `.live.onnx.trelu-tmp-${process.pid}-0a0b0c`);
  for (const f of [mine, other, live]) fs.writeFileSync(f, 'partial');
  const r = await runCli('convert', a, path.join(dir, 'out.onnx'));
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.ok(!fs.existsSync(mine), 'the stale temp of the same target was removed');
  assert.ok(fs.existsSync(other));
  assert.match(r.err.join('\n'), /warning: 1 temp file\(s\) of interrupted writes.*other\.onnx\.trelu-tmp/);
  const listed = await runCli('clean', dir, '--json');
  assert.equal(listed.code, 0);
  assert.deepEqual(JSON.parse(listed.out.join('\n')).stale.map((s: { path: string }) => s.path), [other]);
  assert.ok(fs.existsSync(other), 'listing removes nothing');
  const removed = await runCli('clean', dir, '--remove');
  assert.equal(removed.code, 0);
  assert.ok(!fs.existsSync(other));
  assert.ok(fs.existsSync(live), 'a live writer\'s temp file is never touched');
  assert.equal((await runCli('clean', path.join(dir, 'nope'))).code, 2);
});

test('a missing directory on the data path: one line, exit 2, nothing left behind', async () => {
  const dir = tmpDir('trelu-enotdir-');
  const a = path.join(dir, 'a.onnx');
  writeAddModel(a, 4096, 1);
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  const r = await runCli('convert', a, path.join(dir, 'out.onnx'), '--external-data', 'file/w.bin');
  assert.equal(r.code, 2, r.err.join('\n'));
  assert.match(r.err[0]!, /cannot write \(.*ENOTDIR|EEXIST/);
  assert.ok(!fs.existsSync(path.join(dir, 'out.onnx')));
  assert.deepEqual(tempFilesIn(dir), []);
});

// A real full disk: a 1 MiB tmpfs (mounting needs root; skipped, and reported so, elsewhere).
function mountTmpfs(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const dir = tmpDir('trelu-enospc-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    return undefined;
  }
}
const full = mountTmpfs();

test('ENOSPC on a full file system: one line, exit 2, nothing left behind, no unhandled rejection (convert, convert --external-data, fuse)', { skip: full ? false : 'needs root to mount a 1 MiB tmpfs' }, async () => {
  const dir = tmpDir('trelu-enospc-src-');
  const big = path.join(dir, 'big.onnx');
  writeAddModel(big, 1 << 19, 1); // 4 MiB of weights
  const rejections: unknown[] = [];
  const onRejection = (e: unknown) => rejections.push(e);
  process.on('unhandledRejection', onRejection);
  try {
    for (const args of [['convert', big, path.join(full!, 'o.onnx')], ['convert', big, path.join(full!, 'o.onnx'), '--external-data', 'o.bin'], ['fuse', big, path.join(full!, 'o.onnx'), '--allow-noop']]) {
      const r = await runCli(...args);
      assert.equal(r.code, 2, `${args[0]}: ${r.err.join('\n')}`);
      assert.match(r.err[0]!, /o\.(onnx|bin): cannot write \(no space left on the device, ENOSPC\)/);
      assert.equal(r.err.length, 2, 'one line and a hint');
      assert.deepEqual(fs.readdirSync(full!), [], 'nothing left behind');
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(rejections, []);
  } finally {
    process.off('unhandledRejection', onRejection);
    execFileSync('umount', [full!]);
  }
});

test('grad: a failure caused by the command line (--check with a bad --input) leaves no output behind', async () => {
  const dir = tmpDir('trelu-grad-fail-');
  const m = path.join(dir, 'm.onnx');
  writeAddModel(m, 16, 1);
  const out = path.join(dir, 'g.onnx');
  const r = await runCli('grad', m, out, '--loss-fn', 'mse', '--on', 'y', '--wrt', 'x', '--check', '--input', 'nope=[1]');
  // Exit 1 or 2 (grad calls a check that cannot run a failed check); what matters here is what is left.
  assert.ok(r.code === 1 || r.code === 2, r.err.join('\n'));
  assert.match(r.err.join('\n'), /no input 'nope'/);
  assert.ok(!fs.existsSync(out), 'no g.onnx');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['m.onnx']);
});

// As root, permissions never refuse a write, so EACCES (and EEXIST, EISDIR at the
// temp file) are injected into fs.openSync for the temp files only.
for (const code of ['EACCES', 'EEXIST', 'EISDIR', 'EROFS'] as const) {
  test(`${code} when the temp file is created (injected): one line, exit 2, nothing left behind`, async () => {
    const dir = tmpDir('trelu-inject-');
    const a = path.join(dir, 'a.onnx');
    writeAddModel(a, 4096, 1);
    const real = fs.openSync;
    let attempts = 0;
    (fs as { openSync: typeof fs.openSync }).openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
      if (String(p).includes('.trelu-tmp-')) {
        attempts++;
        throw Object.assign(new Error(`${code}: injected`), { code, syscall: 'open', path: String(p) });
      }
      return (real as (...args: unknown[]) => number)(p, ...rest);
    }) as typeof fs.openSync;
    let r;
    try {
      r = await runCli('convert', a, path.join(dir, 'out.onnx'), '--external-data', 'w.bin');
    } finally {
      fs.openSync = real;
    }
    assert.equal(r.code, 2, r.err.join('\n'));
    assert.equal(r.err.length, 2, 'one line and a hint');
    assert.match(r.err[0]!, new RegExp(`cannot write \\(.*${code}\\)`));
    assert.equal(attempts, code === 'EEXIST' ? 3 : 1, 'EEXIST retries with a new random name; others fail at once');
    assert.deepEqual(fs.readdirSync(dir), ['a.onnx']);
  });
}
