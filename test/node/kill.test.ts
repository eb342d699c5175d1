// Kill tests: `trelu convert` and `trelu convert --external-data` SIGKILLed at
// random moments leave the old output or the new one (never the old model
// beside new data), and the next run leaves no temp file. SIGTERM and SIGINT
// in the middle of a write remove the temp files before the process dies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { killCampaign, TRELU } from './kill-harness.js';
import { tempFilesIn, writeAddModel } from './fixtures.js';
import { tmpDir } from '../helpers.js';

for (const externalData of [false, true]) {
  test(`convert${externalData ? ' --external-data' : ''}: 10 SIGKILLs at random moments leave a consistent output and no temp file after the next run`, async () => {
    const r = await killCampaign(10, { externalData, seed: externalData ? 11 : 7 });
    assert.deepEqual(r.inconsistent, []);
    assert.deepEqual(r.leftoverTemps, []);
    assert.equal(r.consistent + r.absent, r.kills);
    // The kills must have landed mid-run for the test to mean anything.
    assert.ok(r.completed < r.kills, `all ${r.kills} runs finished before the kill`);
  });
}

/** Starts a convert and sends `signal` as soon as its first temp file appears. */
async function signalMidWrite(signal: NodeJS.Signals, externalData: boolean): Promise<{ sawTemp: boolean; signal: NodeJS.Signals | null; code: number | null; left: string[] }> {
  const dir = tmpDir('trelu-signal-');
  const src = path.join(dir, 'src.onnx');
  writeAddModel(src, 8 << 20, 3);
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir);
  const child = spawn(process.execPath, [TRELU, 'convert', src, path.join(outDir, 'm.onnx'), ...(externalData ? ['--external-data', 'm.bin'] : [])], { stdio: 'ignore' });
  let sawTemp = false;
  const poll = setInterval(() => {
    if (!sawTemp && tempFilesIn(outDir).length) {
      sawTemp = true;
      child.kill(signal);
    }
  }, 1);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  clearInterval(poll);
  const left = tempFilesIn(outDir);
  fs.rmSync(dir, { recursive: true, force: true });
  return { sawTemp, ...exit, left };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  for (const externalData of [false, true]) {
    test(`${signal} during convert${externalData ? ' --external-data' : ''} removes the temp files and the process dies of the signal`, async () => {
      const r = await signalMidWrite(signal, externalData);
      assert.ok(r.sawTemp, 'the write never showed a temp file');
      assert.deepEqual(r.left, []);
      // Either the signal landed mid-write (died of it) or the write had just completed.
      if (r.signal === null) assert.equal(r.code, 0);
      else assert.equal(r.signal, signal);
    });
  }
}
