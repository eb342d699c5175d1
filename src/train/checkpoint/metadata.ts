/** The `__metadata__` of a training checkpoint: where the run stands, so that --resume continues exactly. */
import { TreluError } from '../../errors.js';

export const CHECKPOINT_FORMAT = 'onnx-trelu-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = 1;

export interface CheckpointMeta {
  /** The manifest id of the artifacts it belongs to. */
  artifacts: string;
  /** Optimizer steps done. */
  step: number;
  /** The epoch in progress (0-based) and the batches of it done: the data position. */
  epoch: number;
  position: number;
  /** The learning rate of the last step (or the configured one at step 0). */
  lr: number;
  /** The seed of shuffling and Dropout masks. */
  seed: number;
}

export function checkpointMetadata(m: CheckpointMeta): Record<string, string> {
  return {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_FORMAT_VERSION),
    artifacts: m.artifacts,
    step: String(m.step),
    epoch: String(m.epoch),
    position: String(m.position),
    lr: String(m.lr),
    seed: String(m.seed),
  };
}

export function parseCheckpointMetadata(meta: Record<string, string>, source = '<checkpoint>'): CheckpointMeta {
  const fail = (why: string): never => { throw new TreluError('E_CHECKPOINT', `${source}: ${why}`, { hint: 'use a checkpoint written by trelu train for these artifacts' }); };
  if (meta.format !== CHECKPOINT_FORMAT) fail('not an onnx-trelu training checkpoint (no format metadata)');
  if (Number(meta.format_version) !== CHECKPOINT_FORMAT_VERSION) fail(`checkpoint format version ${meta.format_version}; this onnx-trelu reads ${CHECKPOINT_FORMAT_VERSION}`);
  const num = (k: string, integer = true) => {
    const v = Number(meta[k]);
    if (meta[k] === undefined || !Number.isFinite(v) || (integer && (!Number.isInteger(v) || v < 0))) fail(`metadata '${k}' is missing or bad (${meta[k]})`);
    return v;
  };
  return { artifacts: meta.artifacts ?? fail('no artifacts id'), step: num('step'), epoch: num('epoch'), position: num('position'), lr: num('lr', false), seed: num('seed') };
}
