/** `trelu validate <model>`: check every ThresholdedRelu node against the spec and the requested EPs. */
import { loadModelFile } from '../node/model-file.js';
import { modelFromProto } from '../graph/from-proto.js';
import { validateModel, type ValidationReport } from '../validate/validate.js';
import { EXIT_CHECK_FAILED, EXIT_OK } from '../errors.js';
import { printJson, type Io } from './output.js';
import { checkStructure, type StructureReport } from '../validate/structure/index.js';
import { parseEps } from '../runtime/eps.js';

export interface ValidateCliOptions {
  ep?: string[];
  json?: boolean;
  /** Also the structural check onnx.checker makes (src/validate/structure). */
  full?: boolean;
}

export function validateCommand(io: Io, file: string, options: ValidateCliOptions): number {
  const eps = parseEps(options.ep, 'validate'); // an unknown name is exit 2, before any work
  const loaded = loadModelFile(file);
  // The structural check reads the proto as decoded: it runs before the IR, which assumes some of what it checks.
  const structure = options.full ? checkStructure(loaded.model) : undefined;
  const report = validateModel(modelFromProto(loaded.model), { eps });
  const structureErrors = structure?.findings.length ?? 0;
  const ok = report.errors === 0 && structureErrors === 0;
  if (options.json) {
    printJson(io, { file, ok, ...report, ...(structure ? { structure } : {}) });
  } else {
    if (structure) printStructure(io, file, structure);
    printReport(io, file, report);
  }
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}

function printStructure(io: Io, file: string, s: StructureReport): void {
  for (const f of s.findings) io.out(`error   ${f.code.padEnd(20)} ${f.location}: ${f.message}`);
  const scope = s.covered ? '' : ` (not checked: ${s.uncovered.join(', ')})`;
  io.out(`${file}: structure (onnx.checker's rules, onnx 1.12): ${s.findings.length} error(s)${scope}`);
}


export function printReport(io: Io, file: string, r: ValidationReport): void {
  for (const f of r.findings) {
    const where = `${f.node ? `node '${f.node}'` : f.opType || 'graph'} in ${f.location}`;
    io.out(`${f.severity.padEnd(7)} ${f.code.padEnd(20)} ${where}${f.ep ? ` [${f.ep}]` : ''}: ${f.message}`);
    if (f.fix) io.out(`${' '.repeat(29)}fix: ${f.fix}`);
  }
  io.out(`${file}: ${r.nodes} ThresholdedRelu node(s) checked, ${r.errors} error(s), ${r.warnings} warning(s)`);
}
