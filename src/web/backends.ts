/**
 * The browser's backend registry: onnxruntime-web's 'wasm' and 'webgpu' EPs.
 * `createWebBackends({ load: () => import('onnxruntime-web/webgpu') })` picks
 * the onnxruntime-web build; by default the bare 'onnxruntime-web' import.
 */
import { OrtWebBackend, type OrtWebBackendOptions } from '../runtime/backends/ort-web.js';
import { backendRegistry, type Backends } from '../runtime/backends/registry.js';

export function createWebBackends(options: OrtWebBackendOptions = {}): Backends {
  return backendRegistry([new OrtWebBackend('wasm', options), new OrtWebBackend('webgpu', options)]);
}
