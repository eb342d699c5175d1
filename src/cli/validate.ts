/** `trelu validate <model>`: check every ThresholdedRelu node against the spec and the requested EPs. */
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import { validateModel, type ValidationReport } from '../validate/validate.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../errors.js';
import { printJson, type Io } from './output.js';
import { parseEps, splitEpList } from '../runtime/eps.js';

export interface ValidateCliOptions {
  ep?: string[];
  json?: boolean;
}

export function validateCommand(io: Io, file: string, options: ValidateCliOptions): number {
  const eps = parseEps(options.ep, 'validate'); // an unknown name is exit 2, before any work
  const loaded = loadModelFile(file);
  const report = validateModel(modelFromProto(loaded.model), { eps });
  if (options.json) printJson(io, { file, ok: report.errors === 0, ...report });
  else printReport(io, file, report);
  return report.errors > 0 ? EXIT_CHECK_FAILED : EXIT_OK;
}

/** `--ep cpu --ep webgpu` and `--ep cpu,webgpu` both work. */
export const splitEps = splitEpList;

export function printReport(io: Io, file: string, r: ValidationReport): void {
  for (const f of r.findings) {
    const where = `${f.node ? `node '${f.node}'` : f.opType || 'graph'} in ${f.location}`;
    io.out(`${f.severity.padEnd(7)} ${f.code.padEnd(20)} ${where}${f.ep ? ` [${f.ep}]` : ''}: ${f.message}`);
    if (f.fix) io.out(`${' '.repeat(29)}fix: ${f.fix}`);
  }
  io.out(`${file}: ${r.nodes} ThresholdedRelu node(s) checked, ${r.errors} error(s), ${r.warnings} warning(s)`);
}
