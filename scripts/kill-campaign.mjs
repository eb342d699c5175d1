// Kills `trelu convert` (and `convert --external-data`) N times at random moments
// and prints what each kill left (see test/node/kill-harness.ts).
//   node scripts/kill-campaign.mjs [--n 100] [--seed 1] [--elements 1048576]
import { killCampaign } from '../dist/test/node/kill-harness.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const n = arg('n', 100);
const seed = arg('seed', 1);
const elements = arg('elements', 1 << 20);
let bad = 0;
for (const externalData of [false, true]) {
  const t0 = Date.now();
  const r = await killCampaign(n, { externalData, seed, elements });
  bad += r.inconsistent.length + r.leftoverTemps.length;
  console.log(JSON.stringify({ mode: externalData ? 'convert --external-data' : 'convert', seconds: Math.round((Date.now() - t0) / 1000), ...r }));
}
process.exit(bad ? 1 : 0);
