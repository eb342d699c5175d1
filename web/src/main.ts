/** The onnx-trelu web app: wires the panels to the page state. */
import { setupModelPanel, renderModel, openBytes } from './model-panel.js';
import { setupRewritePanel, renderRewriteHints } from './rewrite-panel.js';
import { setupRunPanel, renderRunTarget } from './run-panel.js';
import { setupPlotPanel, plotState } from './plot-panel.js';
import { setupTrainPanel, trainState } from './train-panel.js';
import { renderValidation } from './model-panel.js';
import { state, onChange } from './state.js';
import { backends } from './runtime.js';

onChange(renderModel);
onChange(renderRewriteHints);
onChange(renderRunTarget);
onChange(() => {
  if (state.rewritten) renderValidation();
});

declare global {
  interface Window {
    /** The page's state and a few entry points, for automation (the Chromium tests read results here). */
    treluApp: { state: typeof state; plot: typeof plotState; train: typeof trainState; openBytes: typeof openBytes; backends: typeof backends; ready: boolean };
  }
}

window.treluApp = { state, plot: plotState, train: trainState, openBytes, backends, ready: false };

async function start(): Promise<void> {
  renderModel();
  renderRunTarget();
  setupRewritePanel();
  setupRunPanel();
  setupPlotPanel();
  setupTrainPanel();
  await setupModelPanel();
  const iso = document.getElementById('isolation')!;
  iso.textContent = crossOriginIsolated ? 'cross-origin isolated: wasm runs threaded' : 'not cross-origin isolated: wasm runs on one thread';
  // Say up front which EPs start here, rather than at the first run.
  const { unusable } = await backends.usable(['wasm', 'webgpu']);
  for (const u of unusable) {
    const box = document.querySelector<HTMLInputElement>(`input[name=ep][value=${u.name}]`);
    if (box) {
      box.checked = false;
      box.parentElement!.title = `${u.reason}${u.hint ? ` (hint: ${u.hint})` : ''}`;
      box.parentElement!.classList.add('unusable');
    }
  }
  document.getElementById('eps-status')!.textContent = unusable.length ? unusable.map((u) => `${u.name}: ${u.reason}`).join('; ') : 'wasm and webgpu both start here';
  window.treluApp.ready = true;
  document.body.dataset.ready = 'true';
}

void start();
