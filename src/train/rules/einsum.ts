/**
 * Einsum with one or two operands, each index at most once per operand (no
 * diagonals or traces), '...' allowed, explicit ('->') or implicit output:
 *
 *   Y = Einsum(A, B; "a,b->y")     dA = Einsum(dY, B; "y,b->a'"),  dB = Einsum(A, dY; "a,y->b'")
 *
 * where a' is a without the indices that appear in neither y nor b (summed
 * over A alone: their gradient is the same along them, so dA gets them back
 * by Unsqueeze + Expand to Shape(A)). Operands broadcast against each other
 * (a '...' or an index of size 1 in one of them) are summed back by reduceTo.
 * The attention forms 'bhid,bhjd->bhij', 'bhij,bhjd->bhid', '...id,...jd->...ij'
 * are the two-operand case; 'ij->ji' and 'ij->i' the one-operand case.
 */
import type { Value } from '../../graph/value.js';
import type { GradContext, GradRule } from '../rule.js';

/** One operand's (or the output's) subscripts: the letters before and after '...'. */
interface Term {
  before: string[];
  after: string[];
  ellipsis: boolean;
}

const LETTER = /^[a-zA-Z]$/;

function parseTerm(s: string, fail: (why: string) => never): Term {
  const parts = s.split('...');
  if (parts.length > 2) fail(`'${s}' has more than one ellipsis`);
  const letters = (p: string) => {
    const out = [...p];
    if (out.some((c) => !LETTER.test(c))) fail(`'${s}' has a subscript that is not a letter`);
    return out;
  };
  const t = { before: letters(parts[0]!), after: parts.length === 2 ? letters(parts[1]!) : [], ellipsis: parts.length === 2 };
  const all = [...t.before, ...t.after];
  const repeated = all.find((c, i) => all.indexOf(c) !== i);
  if (repeated) fail(`index '${repeated}' appears twice in '${s}' (a diagonal or trace): not differentiated here`);
  return t;
}

const letters = (t: Term) => [...t.before, ...t.after];
const show = (t: Term) => `${t.before.join('')}${t.ellipsis ? '...' : ''}${t.after.join('')}`;

/** The parsed equation, the implicit output made explicit (ORT's order: a-z then A-Z; a mixed-case implicit output is refused). */
export function parseEinsum(equation: string, operands: number, fail: (why: string) => never): { inputs: Term[]; output: Term } {
  const eq = equation.replace(/\s/g, '');
  const [lhs, rhs, extra] = eq.split('->');
  if (extra !== undefined) fail(`equation '${equation}' has more than one '->'`);
  const inputs = lhs!.split(',').map((s) => parseTerm(s, fail));
  if (inputs.length !== operands) fail(`equation '${equation}' names ${inputs.length} operands, the node has ${operands}`);
  if (operands > 2) fail('more than two operands');
  if (rhs !== undefined) {
    const output = parseTerm(rhs, fail);
    const known = new Set(inputs.flatMap(letters));
    const stray = letters(output).find((c) => !known.has(c));
    if (stray) fail(`output index '${stray}' is in no operand`);
    if (output.ellipsis && !inputs.some((t) => t.ellipsis)) fail('output has an ellipsis that no operand has');
    return { inputs, output };
  }
  const count = new Map<string, number>();
  for (const c of inputs.flatMap(letters)) count.set(c, (count.get(c) ?? 0) + 1);
  const once = [...count].filter(([, n]) => n === 1).map(([c]) => c);
  if (once.some((c) => c === c.toUpperCase()) && once.some((c) => c === c.toLowerCase())) fail('an implicit output mixing upper- and lower-case indices (numpy and ORT order them differently): write the output with \'->\'');
  once.sort();
  return { inputs, output: { before: [], after: once, ellipsis: inputs.some((t) => t.ellipsis) } };
}

/**
 * With every operand's rank known, '...' spelled out as fresh letters (right-aligned, as it
 * broadcasts): ORT 1.30's WebGPU Einsum fails on a '...' that broadcasts between operands
 * ("Ellipsis dimensions mismatch") or is summed away (a hash-map lookup error).
 */
function spellOut(inputs: Term[], output: Term, ranks: readonly (number | undefined)[]): { inputs: Term[]; output: Term } {
  if (!inputs.some((t) => t.ellipsis)) return { inputs, output };
  const counts = inputs.map((t, i) => (t.ellipsis ? (ranks[i] ?? NaN) - letters(t).length : 0));
  const used = new Set([...inputs.flatMap(letters), ...letters(output)]);
  const fresh = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'].filter((c) => !used.has(c));
  const m = Math.max(...counts);
  if (!counts.every((c) => Number.isInteger(c) && c >= 0) || m > fresh.length) return { inputs, output };
  const dims = fresh.slice(0, m);
  const spell = (t: Term, n: number): Term => (t.ellipsis ? { before: [...t.before, ...dims.slice(m - n), ...t.after], after: [], ellipsis: false } : t);
  return { inputs: inputs.map((t, i) => spell(t, counts[i]!)), output: spell(output, m) };
}

/**
 * The other operand with its axes of (static) size 1 squeezed out, and its term without them: it
 * does not vary along them, and an Einsum that broadcasts a size-1 index is another case ORT's
 * WebGPU EP fails on. A letter that then occurs nowhere else is one summed over X alone (below).
 */
function squeezeOnes(ctx: GradContext, i: number, t: Term): { value: Value; term: Term } {
  const v = ctx.saved.input(i);
  const shape = ctx.inputInfo(i).shape;
  if (t.ellipsis || !shape || shape.length !== t.before.length) return { value: v, term: t };
  const ones = shape.flatMap((d, i) => (d === 1 ? [i] : []));
  if (!ones.length) return { value: v, term: t };
  const value = ctx.b.op('Squeeze', [v, ctx.ints(ones)], { name: 'einsum_squeeze' });
  return { value, term: { before: t.before.filter((_, i) => !ones.includes(i)), after: [], ellipsis: false } };
}

/** The gradient of operand k: Einsum of dY with the other operand, back to operand k's subscripts and shape. */
function operandGrad(ctx: GradContext, k: number, inputs: Term[], output: Term): Value {
  const { b, dY, ints, inputInfo, saved, reduceTo, unsupported } = ctx;
  const x = saved.input(k);
  const mine = inputs[k]!;
  const squeezed = inputs.flatMap((t, i) => (i === k ? [] : [squeezeOnes(ctx, i, t)]));
  const others = squeezed.map((o) => o.term);
  const available = new Set([...letters(output), ...others.flatMap(letters)]);
  const ellipsisAvailable = output.ellipsis || others.some((t) => t.ellipsis);
  // An operand without '...' beside one with it: the result keeps '...' in front (ORT refuses an output
  // that drops it) and reduceTo sums those leading axes away.
  const lead = !mine.ellipsis && ellipsisAvailable;
  const kept: Term = lead
    ? { before: [], after: letters(mine).filter((c) => available.has(c)), ellipsis: true }
    : { before: mine.before.filter((c) => available.has(c)), after: mine.after.filter((c) => available.has(c)), ellipsis: mine.ellipsis && ellipsisAvailable };
  const operandTerms = [show(output), ...others.map(show)];
  const operandValues = [dY[0]!, ...squeezed.map((o) => o.value)];
  // dY comes first in the equation; for operand 1 the order of the factors does not matter.
  let g = b.op('Einsum', operandValues, { name: 'einsum_grad', attributes: { equation: `${operandTerms.join(',')}->${show(kept)}` } });
  // Indices summed over this operand alone: put them back as axes of size 1, then broadcast to X.
  const axes: number[] = [];
  // Counted from the end where leading '...' axes may come first.
  mine.before.forEach((c, i) => { if (!available.has(c)) axes.push(lead ? i - mine.before.length : i); });
  mine.after.forEach((c, i) => { if (!available.has(c)) axes.push(i - mine.after.length); });
  if (mine.ellipsis && !ellipsisAvailable) {
    const rank = inputInfo(k).rank;
    if (rank === undefined) unsupported(`the '...' of '${show(mine)}' is summed over this operand alone and its rank is unknown`);
    const dims = rank! - letters(mine).length;
    for (let d = 0; d < dims; d++) axes.push(mine.before.length + d);
  }
  if (axes.length) {
    g = b.op('Unsqueeze', [g, ints(axes)], { name: 'einsum_unsq' });
    g = b.op('Expand', [g, b.op('Shape', [x], { name: 'grad_shape' })], { name: 'einsum_expand' });
  }
  // An index or '...' that broadcast (size 1 here, larger in the other operand): summed back.
  return reduceTo(g, x);
}

const positions = (n: number) => [...Array(n).keys()];

export const einsumGrad: GradRule = {
  opType: 'Einsum',
  saves: (node) => ({ inputs: positions(node.inputCount) }), // each operand for the other's gradient and for its own shape
  backward(ctx) {
    const { attrs, inputCount, inputInfo, needs, unsupported } = ctx;
    const parsed = parseEinsum(attrs.string('equation', ''), inputCount, unsupported);
    const { inputs, output } = spellOut(parsed.inputs, parsed.output, positions(inputCount).map((i) => inputInfo(i).rank));
    return positions(inputCount).map((k) => (needs(k) ? operandGrad(ctx, k, inputs, output) : undefined));
  },
};
