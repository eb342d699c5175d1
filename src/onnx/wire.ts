/** Protobuf wire types of the schema's fields, shared by the decoder's sanity checks and the chunked encoder. */
import type { FieldInfo } from './generated/fields.js';

/** The wire type a schema field is written with. */
export function wireType(f: Pick<FieldInfo, 'type' | 'packed'>): number {
  if (f.packed) return 2;
  switch (f.type) {
    case 'double': case 'fixed64': case 'sfixed64': return 1;
    case 'float': case 'fixed32': case 'sfixed32': return 5;
    case 'string': case 'bytes': case 'message': return 2;
    default: return 0;
  }
}
