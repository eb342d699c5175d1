/**
 * The default operator set's domain. ONNX spells it '' and also accepts
 * 'ai.onnx'; every check for "is this a standard op" goes through here.
 */

/** Whether `domain` names the default ai.onnx operator set ('' or 'ai.onnx'). */
export function isAiOnnxDomain(domain: string | null | undefined): boolean {
  return domain === '' || domain === 'ai.onnx' || domain == null;
}

/** The ai.onnx opset version among `imports` (domain → version), whichever way it is spelled. */
export function aiOnnxOpset(imports: ReadonlyMap<string, number>): number | undefined {
  return imports.get('') ?? imports.get('ai.onnx');
}
