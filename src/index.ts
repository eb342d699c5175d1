/**
 * onnx-trelu: read, validate, rewrite, run and differentiate ONNX graphs
 * around the ThresholdedRelu operator.
 *
 * `onnx-trelu` (this module) is the Node entry point: everything browser-safe
 * plus the file adapter. The codec and IR alone are in `./onnx/index.js` and
 * `./graph/index.js`.
 */
export * from './onnx/index.js';
export * from './graph/index.js';
export { TreluError, isTreluError, type TreluErrorCode, EXIT_OK, EXIT_CHECK_FAILED, EXIT_BAD_INPUT } from './errors.js';
export { loadModelFile, loadModelFileAsync, readExternalBytes, type LoadedModel, type ExternalFile } from './node/model-file.js';
export { saveModelFile, saveModelFileAsync, DEFAULT_SIZE_THRESHOLD, type SaveOptions, type SaveReport } from './node/save-model.js';
export * from './ops/index.js';
export * from './validate/index.js';
export { inferTypes, inferNodes, broadcastShapes, type TensorInfo, type Dim } from './graph/infer.js';
export { graphPlaces, type GraphPlace } from './graph/locations.js';
export * from './runtime/index.js';
export * from './rewrite/index.js';
export * from './train/index.js';
