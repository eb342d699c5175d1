/**
 * The epoch loop of `trelu train` (browser-safe: the caller writes files).
 * Deterministic: the order of epoch e comes from (seed, e), Dropout masks
 * from (seed, step), the learning rate from the step; a checkpoint records
 * (step, epoch, position), so a run resumed from it does exactly what the
 * unbroken run did after that point.
 */
import type { Trainer } from './trainer.js';
import { batchOf, type Dataset } from './dataset.js';
import { epochOrder } from './random.js';
import { lrAt, type LrSchedule } from './schedule.js';

export interface LoopOptions {
  epochs: number;
  batchSize: number;
  shuffle: boolean;
  schedule: LrSchedule;
  warmup: number;
  /** Base learning rate (default: the manifest's). */
  lr?: number;
  /** Write a checkpoint every N steps (and at the end). */
  checkpointEvery?: number;
}

export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  train_loss: number;
  train_accuracy?: number;
  /** Batches of this epoch that this process ran (fewer after a resume mid-epoch). */
  batches: number;
  val_loss?: number;
  val_accuracy?: number;
}

export interface LoopHooks {
  onStep?(info: { epoch: number; position: number; batchesPerEpoch: number; step: number; totalSteps: number; loss: number; accuracy?: number; lr: number }): void;
  onEpoch?(m: EpochMetrics): void | Promise<void>;
  checkpoint(trainer: Trainer): Promise<void>;
}

export function batchesPerEpoch(count: number, batchSize: number): number {
  return Math.ceil(count / batchSize);
}

export async function trainLoop(trainer: Trainer, train: Dataset, val: Dataset | undefined, o: LoopOptions, hooks: LoopHooks): Promise<EpochMetrics[]> {
  const inputName = trainer.manifest.trainStep.inputs.find((e) => e.kind === 'data')!.name;
  const per = batchesPerEpoch(train.count, o.batchSize);
  const totalSteps = per * o.epochs;
  const base = o.lr ?? trainer.manifest.optimizer.lr;
  const all: EpochMetrics[] = [];
  let lastSaved = trainer.stepsDone;
  for (let epoch = trainer.epoch; epoch < o.epochs; epoch++) {
    const order = epochOrder(train.count, epoch, trainer.seed, o.shuffle);
    let loss = 0;
    let correct = 0;
    let seen = 0;
    let batches = 0;
    let hasAccuracy = false;
    for (let pos = epoch === trainer.epoch ? trainer.position : 0; pos < per; pos++) {
      const idx = order.subarray(pos * o.batchSize, Math.min(train.count, (pos + 1) * o.batchSize));
      const lr = lrAt(trainer.stepsDone, totalSteps, base, o.schedule, o.warmup);
      const r = await trainer.step(batchOf(train, idx, inputName), { lr });
      if (pos + 1 === per) {
        trainer.epoch = epoch + 1;
        trainer.position = 0;
      } else {
        trainer.epoch = epoch;
        trainer.position = pos + 1;
      }
      loss += r.loss * idx.length;
      if (r.accuracy !== undefined) {
        hasAccuracy = true;
        correct += r.accuracy * idx.length;
      }
      seen += idx.length;
      batches++;
      hooks.onStep?.({ epoch, position: pos + 1, batchesPerEpoch: per, step: trainer.stepsDone, totalSteps, loss: r.loss, accuracy: r.accuracy, lr });
      if (o.checkpointEvery && trainer.stepsDone % o.checkpointEvery === 0) {
        await hooks.checkpoint(trainer);
        lastSaved = trainer.stepsDone;
      }
    }
    if (batches === 0) continue;
    const m: EpochMetrics = { epoch: epoch + 1, step: trainer.stepsDone, lr: trainer.lr, train_loss: loss / seen, ...(hasAccuracy ? { train_accuracy: correct / seen } : {}), batches };
    if (val) {
      const valInput = trainer.manifest.eval.inputs.find((e) => e.kind === 'data')!.name;
      const evalBatches = function* () {
        for (let s = 0; s < val.count; s += 256) yield batchOf(val, Uint32Array.from({ length: Math.min(256, val.count - s) }, (_, i) => s + i), valInput);
      };
      const r = await trainer.evaluate(evalBatches());
      m.val_loss = r.loss;
      if (r.accuracy !== undefined) m.val_accuracy = r.accuracy;
    }
    all.push(m);
    await hooks.onEpoch?.(m);
  }
  if (trainer.stepsDone !== lastSaved) await hooks.checkpoint(trainer);
  return all;
}
