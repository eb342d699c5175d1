/**
 * The training folder on disk: the artifacts (written once), checkpoints
 * under checkpoints/ (each written to a temp file, fsynced, renamed, the
 * directory fsynced; at most K kept, the oldest removed only after the new
 * one is in place), metrics.jsonl and the plot. A kill -9 at any moment
 * leaves every checkpoint either complete or absent.
 */
import fs from 'node:fs';
import path from 'node:path';
import { TreluError } from '../errors.js';
import type { Manifest } from '../train/artifacts/manifest.js';
import { ARTIFACT_FILES } from '../train/artifacts/build.js';

import { writeFileAtomic } from './file-io.js';

export { writeFileAtomic };

export interface ArtifactsDir {
  dir: string;
  manifest: Manifest;
  trainStep: string;
  evalModel: string;
  model: string;
  initialCheckpoint: string;
}

export function readArtifactsDir(dir: string): ArtifactsDir {
  const mf = path.join(dir, 'manifest.json');
  if (!fs.existsSync(mf)) throw new TreluError('E_FILE_NOT_FOUND', `${dir}: no manifest.json (not a training-artifacts folder)`, { hint: 'make one with trelu artifacts model.onnx --out dir/' });
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(mf, 'utf8')) as Manifest;
  } catch {
    throw new TreluError('E_DECODE', `${mf}: not valid JSON`);
  }
  if (manifest.format !== 'onnx-trelu-training-artifacts') throw new TreluError('E_DECODE', `${mf}: not an onnx-trelu training manifest`);
  const at = (f: string) => path.join(dir, f);
  const files = manifest.files ?? ARTIFACT_FILES;
  return { dir, manifest, trainStep: at(files.trainStep), evalModel: at(files.eval), model: at(files.model), initialCheckpoint: at(files.checkpoint) };
}

const CKPT_RE = /^step-(\d{8,})\.safetensors$/;

export function checkpointPath(dir: string, step: number): string {
  return path.join(dir, 'checkpoints', `step-${String(step).padStart(8, '0')}.safetensors`);
}

/** The checkpoints under dir/checkpoints, newest first. */
export function listCheckpoints(dir: string): { file: string; step: number }[] {
  const d = path.join(dir, 'checkpoints');
  if (!fs.existsSync(d)) return [];
  return fs.readdirSync(d).map((f) => ({ f, m: CKPT_RE.exec(f) })).filter((x) => x.m).map((x) => ({ file: path.join(d, x.f), step: Number(x.m![1]) })).sort((a, b) => b.step - a.step);
}

/** Writes a checkpoint and keeps only the newest `keep` (0: all). */
export function saveCheckpointFile(dir: string, step: number, bytes: Uint8Array, keep: number): string {
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  const file = checkpointPath(dir, step);
  writeFileAtomic(file, bytes);
  if (keep > 0) for (const old of listCheckpoints(dir).slice(keep)) fs.rmSync(old.file, { force: true });
  return file;
}
