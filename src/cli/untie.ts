/** `trelu artifacts --untie`: the shared-weight pass both artifact formats run before building. */
import type { Model } from '../graph/model.js';
import { nameSelector } from '../train/artifacts/names.js';
import { untieSharedWeights, type SharedParameter } from '../train/shared-weights.js';

export interface Untied {
  /** The model, untied in place. */
  model: Model;
  shared: SharedParameter[];
  /** `specs` (--wrt or --freeze) with the copies of every tensor they select, by exact name. */
  widen(specs: readonly string[] | undefined): string[] | undefined;
  /** One line per untied tensor, for the report. */
  lines(): string[];
}

export function untieForArtifacts(model: Model): Untied {
  const shared = untieSharedWeights(model);
  return {
    model,
    shared,
    widen(specs) {
      if (!specs?.length) return specs as string[] | undefined;
      const selected = nameSelector(specs);
      return [...specs, ...shared.filter((s) => selected(s.tensor)).flatMap((s) => s.untiedAs!.slice(1))];
    },
    lines: () => shared.map((s) => `untied: '${s.tensor}' (read by ${s.readers.length} nodes) → ${s.untiedAs!.map((n) => `'${n}'`).join(', ')}`),
  };
}
