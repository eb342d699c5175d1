/**
 * `onnx-trelu/node`: the file adapters (Node only). Models with their
 * external data (every path checked, writes atomic: temp file + rename),
 * tensors as .npy, datasets, training folders and checkpoints, stale temp
 * files, and the SIMD kernel's worker pool. The rest of onnx-trelu takes and
 * returns bytes and objects; these are where files come in.
 */
export { loadModelFile, loadModelFileAsync, readExternalBytes, type LoadedModel, type LoadOptions, type ExternalFile } from './model-file.js';
export { saveModelFile, saveModelFileAsync, DEFAULT_SIZE_THRESHOLD, type SaveOptions, type SaveReport } from './save-model.js';
export { inputFilesOf, assertSafeOutput, assertSafeOutputDir, type InputFile } from './output-safety.js';
export { writeNpyFiles, npyFileName, npyFileNames } from './npy-files.js';
export { readData, readNpz, type RawData } from './datasets.js';
export { writeFileAtomic, readArtifactsDir, listCheckpoints, saveCheckpointFile, checkpointPath, type ArtifactsDir } from './training-files.js';
export { writeParamsDir, readParamsDir, type ParamsManifest } from './params.js';
export { findStaleTemps, removeStaleTemps, type StaleTemp } from './temp-files.js';
export { createSimdPool, type SimdPool, type SimdPoolOptions } from './simd-workers.js';
export { rewriteModelFile, openModelFileLazy, saveLazyModel, loadTensorBytes, type RewriteOptions, type RewriteReport, type LazyModel } from './rewrite-file.js';
