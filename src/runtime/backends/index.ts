/**
 * The Node backend registry: `createBackends()` maps EP names to backends.
 * Each backend caches its own init, so asking twice is cheap.
 */
import { OrtNodeBackend } from './ort-node.js';
import { OrtWebWasmBackend } from './ort-web.js';
import { backendRegistry, type Backends } from './registry.js';

export type { Backends } from './registry.js';

export function createBackends(): Backends {
  return backendRegistry([
    new OrtNodeBackend('cpu'),
    new OrtNodeBackend('webgpu'),
    new OrtNodeBackend('cuda'),
    new OrtNodeBackend('tensorrt'),
    new OrtWebWasmBackend(),
  ]);
}
