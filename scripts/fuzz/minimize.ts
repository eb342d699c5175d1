/**
 * Shrinks a crashing input while it keeps crashing the same way: first whole
 * fields (children before parents, so a node loses attributes before the
 * graph loses the node), then trailing bytes for inputs that do not parse.
 */
import { allFields, parseMessage, serializeMessage } from './wire-tree.js';
import { findingKey, type FuzzHarness } from './harness.js';

export async function minimize(harness: FuzzHarness, bytes: Uint8Array, key: string, budget = 300): Promise<Uint8Array> {
  let best = bytes;
  let tries = 0;
  const same = async (candidate: Uint8Array) => {
    tries++;
    return findingKey(await harness.run(candidate)) === key;
  };
  let progress = true;
  while (progress && tries < budget) {
    progress = false;
    const tree = parseMessage(best, 'ModelProto');
    if (!tree) break;
    const fields = allFields(tree).reverse();
    for (const { parent, index } of fields) {
      if (tries >= budget) break;
      const removed = parent.fields.splice(index, 1)[0]!;
      const candidate = serializeMessage(tree);
      if (candidate.length < best.length && (await same(candidate))) {
        best = candidate;
        progress = true;
        break; // the tree's indexes changed: re-parse
      }
      parent.fields.splice(index, 0, removed);
    }
  }
  // Byte-level: cut the tail in halving steps.
  for (let cut = Math.floor(best.length / 2); cut >= 1 && tries < budget; cut = Math.floor(cut / 2)) {
    while (best.length > cut && tries < budget && (await same(best.subarray(0, best.length - cut)))) best = best.slice(0, best.length - cut);
  }
  return best;
}
