/**
 * `trelu train dir/ --data ...`: trains the artifacts in dir/ on onnxruntime
 * (cpu, webgpu or wasm), writing checkpoints, metrics.jsonl and metrics.svg
 * there. Deterministic and resumable: after a kill -9 at any moment,
 * `--resume` continues from the newest checkpoint and ends with the same
 * parameters as a run that was never killed.
 */
import fs from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { EXIT_OK, TreluError } from '../errors.js';
import { readData } from '../node/datasets.js';
import { listCheckpoints, readArtifactsDir, saveCheckpointFile, writeFileAtomic } from '../node/training-files.js';
import { sharedBackends } from '../runtime/run-once.js';
import { Trainer } from '../train/trainer/trainer.js';
import { toDataset } from '../train/trainer/dataset.js';
import { trainLoop, type EpochMetrics } from '../train/trainer/loop.js';
import { LR_SCHEDULES, type LrSchedule } from '../train/trainer/schedule.js';
import { lineChartSvg } from '../plot/line-chart.js';
import { parseNumber } from './artifacts.js';
import { printJson, type Io } from './output.js';

export interface TrainCliOptions {
  data?: string;
  label?: string;
  val?: string;
  epochs?: string;
  batchSize?: string;
  shuffle?: boolean;
  seed?: string;
  lr?: string;
  lrSchedule?: string;
  warmup?: string;
  ep?: string;
  checkpointEvery?: string;
  keep?: string;
  resume?: boolean;
  progress?: boolean;
  json?: boolean;
}

const int = (flag: string, v: string | undefined, dflt: number, min = 0) => {
  const n = parseNumber(flag, v) ?? dflt;
  if (!Number.isInteger(n) || n < min) throw new TreluError('E_USAGE', `${flag} takes an integer >= ${min}, not '${v}'`);
  return n;
};

export async function trainCommand(io: Io, dir: string, o: TrainCliOptions): Promise<number> {
  if (!o.data) throw new TreluError('E_USAGE', 'say what to train on: --data file.npz | x.npy,y.npy | file.csv --label col');
  const epochs = int('--epochs', o.epochs, 1, 1);
  const batchSize = int('--batch-size', o.batchSize, 32, 1);
  const seed = int('--seed', o.seed, 0);
  const warmup = int('--warmup', o.warmup, 0);
  const every = int('--checkpoint-every', o.checkpointEvery, 0);
  const keep = int('--keep', o.keep, 3);
  const schedule = (o.lrSchedule ?? 'constant') as LrSchedule;
  if (!LR_SCHEDULES.includes(schedule)) throw new TreluError('E_USAGE', `--lr-schedule '${schedule}' is not ${LR_SCHEDULES.join(', ')}`);
  const a = readArtifactsDir(dir);
  const train = toDataset(a.manifest, ...rawPair(o.data, o.label));
  const val = o.val ? toDataset(a.manifest, ...rawPair(o.val, o.label)) : undefined;

  const backend = sharedBackends().get(o.ep ?? 'cpu');
  const initial = new Uint8Array(fs.readFileSync(a.initialCheckpoint));
  const trainer = await Trainer.create({ manifest: a.manifest, trainStep: a.trainStep, evalModel: a.evalModel, checkpoint: initial }, { backend, seed });
  const metricsFile = path.join(dir, 'metrics.jsonl');
  let history: (EpochMetrics & { time?: string })[] = [];
  if (o.resume) {
    const found = listCheckpoints(dir)[0];
    if (found) {
      const meta = trainer.loadCheckpoint(new Uint8Array(fs.readFileSync(found.file)), found.file);
      if (meta.seed !== seed && o.seed !== undefined) throw new TreluError('E_USAGE', `--seed ${seed} differs from the run being resumed (seed ${meta.seed})`);
      io.err(`resuming from ${found.file} (step ${meta.step}, epoch ${meta.epoch + 1}, batch ${meta.position})`);
      if (fs.existsSync(metricsFile)) history = fs.readFileSync(metricsFile, 'utf8').split('\n').flatMap((l) => { try { return [JSON.parse(l) as EpochMetrics]; } catch { return []; } }).filter((m) => m.step <= meta.step); // a line cut by the kill is dropped
    } else io.err('--resume: no checkpoint yet; starting from the initial state');
  } else if (listCheckpoints(dir).length) {
    throw new TreluError('E_USAGE', `${dir} already holds checkpoints of a run`, { hint: 'continue it with --resume, or make new artifacts' });
  }
  writeFileAtomic(metricsFile, history.map((m) => JSON.stringify(m) + '\n').join(''));

  const tty = o.progress ?? !!process.stderr.isTTY;
  const bar = tty && !o.json ? new cliProgress.SingleBar({ format: 'epoch {epoch} |{bar}| {value}/{total} batches | loss {loss} | lr {lr}', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  let barEpoch = -1;
  const result = await trainLoop(trainer, train, val, { epochs, batchSize, shuffle: !!o.shuffle, schedule, warmup, lr: parseNumber('--lr', o.lr), checkpointEvery: every }, {
    onStep(s) {
      if (!bar) return;
      if (barEpoch !== s.epoch) {
        if (barEpoch >= 0) bar.stop();
        bar.start(s.batchesPerEpoch, s.position - 1, { epoch: s.epoch + 1, loss: '-', lr: '-' });
        barEpoch = s.epoch;
      }
      bar.update(s.position, { loss: s.loss.toFixed(4), lr: s.lr.toExponential(2) });
    },
    onEpoch(m) {
      if (bar) { bar.stop(); barEpoch = -1; }
      history.push(m);
      fs.appendFileSync(metricsFile, JSON.stringify(m) + '\n');
      writeFileAtomic(path.join(dir, 'metrics.svg'), plot(history));
      if (!o.json) io.out(`epoch ${m.epoch}/${epochs}: train loss ${m.train_loss.toFixed(4)}${m.train_accuracy !== undefined ? ` acc ${(m.train_accuracy * 100).toFixed(1)}%` : ''}${m.val_loss !== undefined ? `, val loss ${m.val_loss.toFixed(4)}${m.val_accuracy !== undefined ? ` acc ${(m.val_accuracy * 100).toFixed(1)}%` : ''}` : ''} (step ${m.step}, lr ${m.lr.toExponential(2)})`);
    },
    async checkpoint(t) {
      saveCheckpointFile(dir, t.stepsDone, await t.saveCheckpoint(), keep);
    },
  }).finally(() => bar?.stop());
  await trainer.release();
  const last = listCheckpoints(dir)[0];
  if (o.json) printJson(io, { epochs: result, checkpoint: last?.file, metrics: metricsFile, steps: trainer.stepsDone });
  else io.out(`trained ${trainer.stepsDone} steps; checkpoint ${last?.file ?? '(none)'}; metrics in ${metricsFile} and metrics.svg`);
  return EXIT_OK;
}

function rawPair(spec: string, label: string | undefined): [Parameters<typeof toDataset>[1], Parameters<typeof toDataset>[2], string] {
  const r = readData(spec, label);
  return [r.x, r.y, r.source];
}

function plot(history: readonly EpochMetrics[]): string {
  const series: { name: string; points: [number, number][]; dashed?: boolean }[] = [{ name: 'train loss', points: history.map((m) => [m.epoch, m.train_loss]) }];
  if (history.some((m) => m.val_loss !== undefined)) series.push({ name: 'val loss', points: history.filter((m) => m.val_loss !== undefined).map((m) => [m.epoch, m.val_loss!]), dashed: true });
  if (history.some((m) => m.train_accuracy !== undefined)) series.push({ name: 'train accuracy', points: history.filter((m) => m.train_accuracy !== undefined).map((m) => [m.epoch, m.train_accuracy!]) });
  if (history.some((m) => m.val_accuracy !== undefined)) series.push({ name: 'val accuracy', points: history.filter((m) => m.val_accuracy !== undefined).map((m) => [m.epoch, m.val_accuracy!]), dashed: true });
  return lineChartSvg({ title: 'Training', xLabel: 'epoch', yLabel: 'loss / accuracy', series });
}
