/**
 * ORT's on-device training runtime, in Node: onnxruntime-web 1.19.2 (the last
 * release with ORT's training build, as WebAssembly), installed as the
 * `ort-training` devDependency alias. Its package exports map `./training` to
 * nothing for Node, so the module is imported by path; one wasm thread (Node
 * has no cross-origin isolation to share memory with workers).
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The parts of onnxruntime-web's training API the tests use (types from onnxruntime-common 1.19). */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<number | bigint> & { length: number };
}
export interface TrainingSession {
  readonly trainingInputNames: readonly string[];
  readonly trainingOutputNames: readonly string[];
  readonly evalInputNames: readonly string[];
  readonly evalOutputNames: readonly string[];
  runTrainStep(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  runEvalStep(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  runOptimizerStep(): Promise<void>;
  lazyResetGrad(): Promise<void>;
  getParametersSize(trainableOnly?: boolean): Promise<number>;
  getContiguousParameters(trainableOnly?: boolean): Promise<OrtTensor>;
  loadParametersBuffer(buffer: Uint8Array, trainableOnly?: boolean): Promise<void>;
  release(): Promise<void>;
}
export interface OrtTraining {
  env: { wasm: { numThreads: number } };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  TrainingSession: {
    create(artifacts: { checkpointState: Uint8Array | string; trainModel: Uint8Array | string; evalModel?: Uint8Array | string; optimizerModel?: Uint8Array | string }): Promise<TrainingSession>;
  };
}

let loaded: Promise<OrtTraining> | undefined;

export function ortTrainingDir(): string {
  const require = createRequire(import.meta.url);
  // The package's exports do not list package.json; its Node entry is dist/ort.node.min.js.
  return path.resolve(path.dirname(require.resolve('ort-training')), '..');
}

/** Loads the training build once per process. */
export function loadOrtTraining(): Promise<OrtTraining> {
  loaded ??= (async () => {
    const file = path.join(ortTrainingDir(), 'dist', 'ort.training.wasm.min.mjs');
    const ort = (await import(pathToFileURL(file).href)) as OrtTraining;
    ort.env.wasm.numThreads = 1;
    return ort;
  })();
  return loaded;
}
