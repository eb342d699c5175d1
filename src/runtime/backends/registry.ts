/**
 * A backend registry as a value: EP name -> backend. Browser-safe; Node's
 * `createBackends()` and the browser's `createWebBackends()` both build one.
 */
import { TreluError } from '../../errors.js';
import type { Backend, EpName } from '../backend.js';

export interface Backends {
  get(name: string): Backend;
  readonly names: readonly EpName[];
  /** The backends whose init succeeds, with the failures of the others. */
  usable(names?: readonly string[]): Promise<{ usable: Backend[]; unusable: { name: string; reason: string; hint?: string }[] }>;
}

export function backendRegistry(backends: readonly Backend[]): Backends {
  const map = new Map<string, Backend>(backends.map((b) => [b.name, b]));
  const names = backends.map((b) => b.name);
  const get = (name: string): Backend => {
    const b = map.get(name);
    if (!b) throw new TreluError('E_USAGE', `unknown execution provider '${name}'`, { hint: `choose from ${names.join(', ')}` });
    return b;
  };
  return {
    names,
    get,
    async usable(wanted = names) {
      const usable: Backend[] = [];
      const unusable: { name: string; reason: string; hint?: string }[] = [];
      for (const n of wanted) {
        const b = get(n);
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
