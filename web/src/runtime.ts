/** The page's backends (one registry, so each EP initializes once) and the shared run settings. */
import { createWebBackends, buildFeeds, modelFromProto, decodeModel, type TensorLike } from '../../src/web/index.js';
import { $ } from './dom.js';

export const backends = createWebBackends();

/** `N=2, batch=4` from the dims field. */
export function dims(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of ($('dims') as HTMLInputElement).value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([^=\s]+)\s*=\s*(\d+)$/.exec(part);
    if (!m) throw Object.assign(new Error(`dims: '${part}' is not NAME=SIZE`), { hint: 'e.g. N=2, batch=4' });
    out[m[1]!] = Number(m[2]);
  }
  return out;
}

export function seed(): number {
  const v = Number(($('seed') as HTMLInputElement).value);
  if (!Number.isInteger(v)) throw Object.assign(new Error(`seed: '${v}' is not an integer`), { hint: 'e.g. 0' });
  return v;
}

/** Seeded random inputs, the same `buildFeeds` gives in Node for the same model, dims and seed. */
export function feedsFor(bytes: Uint8Array): Record<string, TensorLike> {
  return buildFeeds(modelFromProto(decodeModel(bytes)), { dims: dims(), seed: seed() });
}

/** The EPs ticked in the page (checkboxes named "ep"). */
export function chosenEps(): string[] {
  return [...document.querySelectorAll<HTMLInputElement>('input[name=ep]:checked')].map((c) => c.value);
}
