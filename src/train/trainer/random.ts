/** Seeded, platform-independent randomness for shuffling and Dropout masks: mulberry32, the generator `trelu run`'s random inputs use. */
import { seededRandom as mulberry32 } from '../../runtime/random-inputs.js';

export { mulberry32 };


/** Mixes integers into one 32-bit seed (so (seed, epoch) and (seed, step, mask) streams do not overlap). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h ^ Math.floor(p / 4294967296), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h | 0;
}

/** The order of `count` samples in `epoch`: a Fisher-Yates shuffle from (seed, epoch), or 0..count-1. */
export function epochOrder(count: number, epoch: number, seed: number, shuffle: boolean): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  if (!shuffle) return order;
  const random = mulberry32(mixSeed(seed, epoch, 0x5eed));
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** Inverted-dropout mask: each element 0 with probability `ratio`, else 1/(1-ratio). */
export function dropoutMask(count: number, ratio: number, seed: number, step: number, index: number): Float32Array {
  const random = mulberry32(mixSeed(seed, step, index, 0xd40b));
  const keep = 1 / (1 - ratio);
  return Float32Array.from({ length: count }, () => (random() < ratio ? 0 : keep));
}
