// Killing `trelu convert` at random moments and checking what it leaves: shared
// by test/node/kill.test.ts (a few dozen kills) and scripts/kill-campaign.mjs (hundreds).
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { seededRandom } from '../../src/runtime/random-inputs.js';
import { REPO_ROOT } from '../helpers.js';
import { tempFilesIn, weightsDigest, writeAddModel } from './fixtures.js';

export const TRELU = path.join(REPO_ROOT, 'bin', 'trelu.js');

export interface KillReport {
  kills: number;
  /** Runs that finished before the kill landed. */
  completed: number;
  /** The output loaded and held one source's weights exactly. */
  consistent: number;
  /** No output yet (killed before the first model was renamed into place). */
  absent: number;
  inconsistent: string[];
  /** Temp files present after the next (unkilled) run: must be none. */
  leftoverTemps: string[];
}

export function runTrelu(args: string[], killAfterMs?: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TRELU, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill(signal), killAfterMs);
    child.on('exit', (code, sig) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal: sig, stderr });
    });
  });
}

/**
 * `kills` runs of `trelu convert <A|B> <dir>/out.onnx [--external-data w.bin]`,
 * alternating the source, each SIGKILLed after a random delay in [0, 1.2 × a
 * clean run's time]; after each, the output must be absent or load with
 * exactly A's or B's weights. Every 5th kill and at the end, a clean run
 * must leave no temp file behind.
 */
export async function killCampaign(kills: number, options: { externalData: boolean; seed: number; elements?: number }): Promise<KillReport> {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'trelu-kill-'));
  try {
    const elements = options.elements ?? 1 << 20;
    const sources = [path.join(dir, 'src', 'a.onnx'), path.join(dir, 'src', 'b.onnx')];
    fs.mkdirSync(path.join(dir, 'src'));
    writeAddModel(sources[0]!, elements, 1);
    writeAddModel(sources[1]!, elements, 100);
    const digests = sources.map(weightsDigest);
    const outDir = path.join(dir, 'out');
    fs.mkdirSync(outDir);
    const out = path.join(outDir, 'out.onnx');
    const args = (i: number) => ['convert', sources[i % 2]!, out, ...(options.externalData ? ['--external-data', 'w.bin', '--size-threshold', '0'] : [])];
    const t0 = Date.now();
    const clean = await runTrelu(args(1));
    if (clean.code !== 0) throw new Error(`clean run failed: ${clean.stderr}`);
    const span = (Date.now() - t0) * 1.2;
    const random = seededRandom(options.seed);
    const report: KillReport = { kills, completed: 0, consistent: 0, absent: 0, inconsistent: [], leftoverTemps: [] };
    const checkClean = async (i: number) => {
      const r = await runTrelu(args(i));
      if (r.code !== 0) report.inconsistent.push(`clean run ${i} failed: ${r.stderr.trim()}`);
      report.leftoverTemps.push(...tempFilesIn(outDir));
      if (weightsDigest(out) !== digests[i % 2]) report.inconsistent.push(`clean run ${i}: wrong weights`);
    };
    for (let i = 0; i < kills; i++) {
      const r = await runTrelu(args(i), Math.floor(random() * span));
      if (r.signal === null) report.completed++;
      if (!fs.existsSync(out)) {
        report.absent++;
      } else {
        let digest: string | undefined;
        try {
          digest = weightsDigest(out);
        } catch (e) {
          report.inconsistent.push(`kill ${i}: output does not load: ${(e as Error).message}`);
        }
        if (digest !== undefined) {
          if (digests.includes(digest)) report.consistent++;
          else report.inconsistent.push(`kill ${i}: output holds neither source's weights`);
        }
      }
      if (i % 5 === 4) await checkClean(i + 1);
    }
    await checkClean(kills);
    return report;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
