/** Reading a list an op takes as an attribute in old opsets and as an input in new ones (axes, pads, split, ...). */
import type { Dim, RuleInput } from './types.js';

/** The list, 'unknown' (given but not a constant inference can follow), or 'absent'. */
export type ListArg = Dim[] | 'unknown' | 'absent';

export function listArg(r: RuleInput, attribute: string, input: number): ListArg {
  const fromAttr = r.node.attrs.ints(attribute);
  if (fromAttr) return fromAttr;
  if (input < 0 || !r.present(input)) return 'absent';
  return r.ins[input]?.value ? [...r.ins[input]!.value!] : 'unknown';
}

/** A list of numbers, or undefined when any element is unknown/symbolic. */
export function numbers(list: ListArg): number[] | undefined {
  return Array.isArray(list) && list.every((d) => typeof d === 'number') ? (list as number[]) : undefined;
}

/** A scalar from a constant input (K of TopK, depth of OneHot, Range's operands). */
export function scalarInput(r: RuleInput, i: number): number | undefined {
  const v = r.present(i) ? r.ins[i]?.value : undefined;
  return v && v.length === 1 && typeof v[0] === 'number' ? v[0] : undefined;
}
