/** The ThresholdedRelu validator. Browser-safe. */
export { validateModel, type ValidateOptions, type ValidationReport } from './validate.js';
export { FINDING_CODES, type Finding, type FindingCode, type Severity } from './findings.js';
