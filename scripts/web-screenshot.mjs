// The README's screenshot of the web app: opens the sample MLP, rewrites it (Relu -> ThresholdedRelu 0.5),
// runs it on wasm and webgpu, sets alpha to 0.5 and trains the rewritten model on webgpu, then saves a
// full-page screenshot. Uses the Chromium test harness (npm run build first).
//   node scripts/web-screenshot.mjs [docs/web.png]
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const out = path.resolve(process.argv[2] ?? 'docs/web.png');
const { openApp } = await import(pathToFileURL(path.resolve('dist/test/web/browser.js')).href);
const app = await openApp();
try {
  const { page } = app;
  await page.click('button[data-sample="mlp.onnx"]');
  await page.click('#rw-go');
  await page.waitForSelector('#rewrite-result .verify[data-ep=webgpu]', { timeout: 60_000 });
  await page.click('#run-go');
  await page.waitForSelector('#run-result table.stats', { timeout: 60_000 });
  await page.$eval('#alpha', (e) => { e.value = '0.5'; e.dispatchEvent(new Event('input')); });
  await page.waitForSelector('#plot[data-alpha="0.5"]');
  await page.selectOption('#train-model', 'current');
  await page.click('#train-go');
  await page.waitForFunction(() => window.treluApp.train.last?.done === true || !!document.querySelector('#train-result .error'), undefined, { timeout: 180_000 });
  await page.screenshot({ path: out, fullPage: true });
  if (app.errors.length) console.error(app.errors.join('\n'));
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
} finally {
  await app.close();
}
