// One measured load + save, in its own process so its peak RSS is its own.
import { loadModelFile } from '../src/node/model-file.js';
import { saveModelFile } from '../src/node/save-model.js';

const [input, output] = process.argv.slice(2) as [string, string];
const t0 = performance.now();
const loaded = loadModelFile(input);
const t1 = performance.now();
saveModelFile(loaded.model, output, { source: loaded });
const t2 = performance.now();
process.stdout.write(JSON.stringify({ loadMs: t1 - t0, saveMs: t2 - t1, totalMs: t2 - t0, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
