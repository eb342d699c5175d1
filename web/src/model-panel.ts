/** Opening a model (file picker, drag and drop, sample buttons), its summary, and the ThresholdedRelu validation per EP. */
import { decodeModel, modelFromProto, summarizeModel, validateModel, KNOWN_EPS, type Finding, type ModelSummary } from '../../src/web/index.js';
import { $, el, table, bytes, showError } from './dom.js';
import { state, changed } from './state.js';

/** The symbolic dims of the inputs (`float32[N,64]` -> N), in order of appearance. */
function symbolicDims(summary: ModelSummary): string[] {
  const names = summary.inputs.flatMap((v) => (/\[(.*)\]$/.exec(v.type)?.[1] ?? '').split(',').map((d) => d.trim()));
  return [...new Set(names.filter((d) => d !== '' && d !== '?' && !/^\d+$/.test(d)))];
}

/** Keeps the sizes the user typed for dims this model has too; new ones get 2. */
function prefillDims(summary: ModelSummary): void {
  const field = $('dims') as HTMLInputElement;
  const typed = new Map(field.value.split(',').map((p) => p.split('=').map((s) => s.trim()) as [string, string]).filter(([k, v]) => k && v));
  field.value = symbolicDims(summary).map((d) => `${d}=${typed.get(d) ?? 2}`).join(', ');
}

export function openBytes(name: string, data: Uint8Array): void {
  const proto = decodeModel(data);
  const model = modelFromProto(proto);
  const summary = summarizeModel(model);
  if (summary.externalDataFiles.length) {
    throw Object.assign(new Error(`${name} keeps its tensors in external files (${summary.externalDataFiles.map((f) => f.location).join(', ')}), which a page cannot read beside it`), { hint: 'make one self-contained file: trelu convert model.onnx whole.onnx --inline-data' });
  }
  prefillDims(summary);
  state.opened = { name, bytes: data, model, summary };
  state.rewritten = undefined;
  state.lastRun = undefined;
  changed();
}

async function openFile(file: File): Promise<void> {
  openBytes(file.name, new Uint8Array(await file.arrayBuffer()));
}

export async function setupModelPanel(): Promise<void> {
  const status = $('open-status');
  const guard = (work: () => Promise<void> | void) => async () => {
    try {
      await work();
      status.replaceChildren();
    } catch (e) {
      showError(status, e);
    }
  };
  const input = $('file') as HTMLInputElement;
  input.addEventListener('change', guard(async () => {
    if (input.files?.[0]) await openFile(input.files[0]);
  }));
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) void guard(() => openFile(file))();
  });
  try {
    const samples = (await (await fetch('models/index.json')).json()) as { name: string; url: string; bytes: number }[];
    $('samples').replaceChildren(...samples.map((s) => {
      const b = el('button', { 'data-sample': s.name, title: bytes(s.bytes) }, s.name);
      b.addEventListener('click', guard(async () => openBytes(s.name, new Uint8Array(await (await fetch(s.url)).arrayBuffer()))));
      return b;
    }));
  } catch (e) {
    showError($('samples'), e);
  }
}

function findingCell(findings: Finding[]): HTMLElement {
  if (findings.length === 0) return el('span', { class: 'ok' }, '✓ runs');
  const worst = findings.some((f) => f.severity === 'error') ? 'error' : 'warning';
  return el('span', { class: worst, title: findings.map((f) => f.message).join('\n') }, `${worst === 'error' ? '✗' : '!'} ${findings.map((f) => f.code).join(', ')}`);
}

export function renderModel(): void {
  const out = $('summary');
  const o = state.opened;
  if (!o) {
    out.replaceChildren(el('p', { class: 'muted' }, 'No model yet: pick a file, drop one here, or open a sample.'));
    $('validation').replaceChildren();
    return;
  }
  const s = o.summary;
  const row = (k: string, v: string) => [k, v];
  out.replaceChildren(el('h3', {}, `${o.name} (${bytes(o.bytes.length)})`), table(['', ''], [
    row('IR version', String(s.irVersion)),
    row('producer', [s.producer.name, s.producer.version].filter(Boolean).join(' ') || '-'),
    row('opsets', s.opsetImports.map((x) => `${x.domain || 'ai.onnx'} ${x.version}`).join(', ')),
    row('nodes', String(s.nodes)),
    row('ops', Object.entries(s.opCounts).map(([op, n]) => `${op} ${n}`).join(', ') || '-'),
    row('inputs', s.inputs.map((v) => `${v.name}: ${v.type}`).join('; ')),
    row('outputs', s.outputs.map((v) => `${v.name}: ${v.type}`).join('; ')),
    row('initializers', `${s.initializers.count} (${bytes(s.initializers.bytes)})`),
    row('ThresholdedRelu', s.thresholdedRelu.length ? s.thresholdedRelu.map((t) => `${t.name || '<unnamed>'} α=${t.alpha}`).join(', ') : 'none'),
  ], 'kv'));
  renderValidation();
}

/** A node x EP matrix for the model shown (the rewritten one, once there is one). */
export function renderValidation(): void {
  const target = state.rewritten ? { name: state.rewritten.name, model: modelFromProto(decodeModel(state.rewritten.bytes)) } : state.opened;
  const out = $('validation');
  if (!target) return;
  const report = validateModel(target.model, { eps: KNOWN_EPS });
  const general = report.findings.filter((f) => !f.ep);
  const nodes = [...new Set(report.findings.map((f) => f.node))];
  const treluNodes = target.model.graph.nodes.filter((n) => n.opType === 'ThresholdedRelu').map((n) => n.name);
  const names = [...new Set([...treluNodes, ...nodes.filter((n) => n)])];
  out.replaceChildren(
    el('h3', {}, `ThresholdedRelu validation: ${target.name}`),
    el('p', { class: report.errors ? 'error' : 'muted' }, `${report.nodes} ThresholdedRelu node(s), ${report.errors} error(s), ${report.warnings} warning(s)`),
    ...(names.length ? [table(['node', ...KNOWN_EPS], names.map((n) => [n || '<unnamed>', ...KNOWN_EPS.map((ep) => findingCell(report.findings.filter((f) => f.node === n && f.ep === ep)))]), 'matrix'),
      el('p', { class: 'muted' }, "This page runs two of these: wasm, and onnxruntime-web's WebGPU, which is the jsep-webgpu column (webgpu is onnxruntime-node's Dawn EP).")] : []),
    ...general.map((f) => el('p', { class: f.severity }, `${f.severity}: ${f.node ? f.node + ': ' : ''}${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`)),
  );
}
