/** The structural check (onnx.checker's rules) behind `trelu validate --full`. Browser-safe. */
export { checkStructure, CHECKER_IR_VERSION, type StructureFinding, type StructureCode, type StructureReport } from './check.js';
