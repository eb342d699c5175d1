/** One version of an operator's schema, as onnx.checker's OpSchema::Verify reads it. */
export interface OpSchemaVersion {
  since: number;
  minIn: number;
  maxIn: number;
  minOut: number;
  maxOut: number;
  /** One letter per formal input: S single, O optional, V variadic. */
  in: string;
  out: string;
  /** name → [AttributeProto.AttributeType, required (1) or not (0)]. */
  attrs: Readonly<Record<string, readonly [number, number]>>;
  deprecated?: 1;
  /** Attributes outside the schema are allowed (OpSchema::AllowUncheckedAttributes). */
  unchecked?: 1;
}
