/** Rewrites (replace, insert, fuse, decompose), verified by running both models on each chosen EP in the page; download. */
import { decodeModel, modelFromProto, modelToProto, encodeModel, applyPageRewrite, verifyRewrite, isTreluError, type RewriteKind, type PageVerifyReport } from '../../src/web/index.js';
import { $, el, table, fmt, download, showError, busy } from './dom.js';
import { state, changed } from './state.js';
import { backends, feedsFor, chosenEps } from './runtime.js';
import { openBytes } from './model-panel.js';

function params(kind: RewriteKind) {
  const alphaText = ($('rw-alpha') as HTMLInputElement).value.trim();
  const alpha = alphaText === '' ? undefined : Number(alphaText);
  if (alpha !== undefined && !Number.isFinite(alpha)) throw Object.assign(new Error(`alpha '${alphaText}' is not a number`), { hint: 'e.g. 0.5' });
  const list = (id: string) => ($(id) as HTMLInputElement).value.split(',').map((s) => s.trim()).filter(Boolean);
  if (kind === 'insert' && list('rw-after').length === 0) throw Object.assign(new Error('insert needs the tensors to insert after'), { hint: 'type tensor names, e.g. one of the names listed under the field' });
  return { alpha, from: list('rw-from'), after: list('rw-after'), allowNanChange: ($('rw-nan') as HTMLInputElement).checked };
}

function renderVerify(reports: PageVerifyReport[], failures: { ep: string; message: string }[]): HTMLElement {
  return el('div', {},
    ...reports.map((r) => el('div', { class: 'verify', 'data-ep': r.ep, 'data-ok': String(r.ok) },
      el('h4', { class: r.ok ? 'ok' : 'error' }, `${r.ok ? '✓' : '✗'} ${r.ep}: ${r.mode === 'equal' ? 'outputs equal to the original, bit for bit' : 'new nodes equal to the reference kernel'}`),
      table([r.mode === 'equal' ? 'output' : 'node', 'elements', 'max |diff|', 'mismatches'], r.checks.map((c) => [c.name, String(c.elements), fmt(c.maxAbsDiff), String(c.mismatches)])),
      ...(r.unchecked.length ? [el('p', { class: 'warning' }, `not checked: ${r.unchecked.join(', ')}`)] : []))),
    ...failures.map((f) => el('p', { class: 'error' }, `${f.ep}: ${f.message}`)));
}

async function rewrite(): Promise<void> {
  const out = $('rewrite-result');
  const opened = state.opened;
  if (!opened) throw Object.assign(new Error('open a model first'), { hint: 'pick a file or a sample above' });
  const kind = ($('rw-kind') as HTMLSelectElement).value as RewriteKind;
  const model = modelFromProto(decodeModel(opened.bytes));
  const result = applyPageRewrite(model, kind, params(kind));
  if (result.report.changes.length === 0) {
    out.replaceChildren(el('p', { class: 'warning' }, `${kind}: nothing to change in ${opened.name}`),
      ...result.report.candidates.map((c) => el('p', { class: 'muted' }, `${c.node} (${c.rule}): ${c.reason}`)));
    return;
  }
  const bytes = encodeModel(modelToProto(model));
  const name = opened.name.replace(/\.onnx$/i, '') + `-${kind}.onnx`;
  out.replaceChildren(el('p', { class: 'muted' }, `verifying ${name} on ${chosenEps().join(', ')}…`));
  const feeds = feedsFor(opened.bytes);
  const reports: PageVerifyReport[] = [];
  const failures: { ep: string; message: string }[] = [];
  for (const ep of chosenEps()) {
    try {
      reports.push(await verifyRewrite(backends.get(ep), opened.bytes, bytes, feeds, { mode: result.verifyMode, newNodes: result.added }));
    } catch (e) {
      if (!isTreluError(e)) throw e;
      failures.push({ ep, message: e.message + (e.hint ? ` (hint: ${e.hint})` : '') });
    }
  }
  state.rewritten = { name, bytes, result, verify: reports };
  changed();
  const dl = el('button', { id: 'download-rewritten' }, `Download ${name}`);
  dl.addEventListener('click', () => download(name, bytes));
  const next = el('button', { id: 'continue-rewritten', title: 'open the rewritten model, to rewrite it further' }, 'Continue from it');
  next.addEventListener('click', () => openBytes(name, bytes));
  out.replaceChildren(
    el('p', {}, `${kind}: ${result.report.changes.length} change(s)${result.upgradedOpset ? ', opset raised to 10' : ''}. `, dl, ' ', next),
    table(['rule', 'where', 'removed', 'added'], result.report.changes.map((c) => [c.rule, c.location, c.removed.join(', '), c.added.join(', ')])),
    ...result.warnings.map((w) => el('p', { class: 'warning' }, w)),
    renderVerify(reports, failures),
  );
}

export function setupRewritePanel(): void {
  const kind = $('rw-kind') as HTMLSelectElement;
  const sync = () => {
    for (const f of document.querySelectorAll<HTMLElement>('[data-for]')) f.hidden = !f.dataset.for!.split(' ').includes(kind.value);
  };
  kind.addEventListener('change', sync);
  sync();
  const button = $('rw-go') as HTMLButtonElement;
  button.addEventListener('click', () => void busy(button, () => rewrite().catch((e) => showError($('rewrite-result'), e))));
}

/** Tensor names the insert field can use, from the opened model. */
export function renderRewriteHints(): void {
  const o = state.opened;
  const list = $('tensor-names');
  list.replaceChildren(...(o ? o.model.graph.nodes.flatMap((n) => n.outputs.map((v) => el('option', { value: v.name }))) : []));
  if (!o) $('rewrite-result').replaceChildren();
}
