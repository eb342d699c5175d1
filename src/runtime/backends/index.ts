/**
 * The backend registry: a value, made by `createBackends()`, mapping EP names
 * to backends. Each backend caches its own init, so asking twice is cheap.
 */
import { TreluError } from '../../errors.js';
import { EP_NAMES, type Backend, type EpName } from '../backend.js';
import { OrtNodeBackend } from './ort-node.js';
import { OrtWebWasmBackend } from './ort-web.js';

export interface Backends {
  get(name: string): Backend;
  readonly names: readonly EpName[];
  /** The backends whose init succeeds, with the failures of the others. */
  usable(names?: readonly string[]): Promise<{ usable: Backend[]; unusable: { name: string; reason: string; hint?: string }[] }>;
}

export function createBackends(): Backends {
  const map = new Map<EpName, Backend>([
    ['cpu', new OrtNodeBackend('cpu')],
    ['webgpu', new OrtNodeBackend('webgpu')],
    ['cuda', new OrtNodeBackend('cuda')],
    ['tensorrt', new OrtNodeBackend('tensorrt')],
    ['wasm', new OrtWebWasmBackend()],
  ]);
  return {
    names: EP_NAMES,
    get(name) {
      const b = map.get(name as EpName);
      if (!b) throw new TreluError('E_USAGE', `unknown execution provider '${name}'`, { hint: `choose from ${EP_NAMES.join(', ')}` });
      return b;
    },
    async usable(names = EP_NAMES) {
      const usable: Backend[] = [];
      const unusable: { name: string; reason: string; hint?: string }[] = [];
      for (const n of names) {
        const b = this.get(n);
        try {
          await b.init();
          usable.push(b);
        } catch (e) {
          unusable.push({ name: n, reason: e instanceof Error ? e.message : String(e), hint: (e as TreluError).hint });
        }
      }
      return { usable, unusable };
    },
  };
}
