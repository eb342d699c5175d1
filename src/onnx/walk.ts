/**
 * Generic traversal of decoded messages, driven by the schema's field table, so
 * that "every TensorProto in the model" really means every one: initializers,
 * sparse initializers, Constant attributes, subgraphs, functions, training info.
 */
import { FIELDS } from './generated/fields.js';

type Message = Record<string, unknown>;

/**
 * Calls `visit` on every message of type `target` reachable from `root`
 * (of type `rootType`), depth first, in field order.
 */
export function forEachMessage(rootType: string, root: object, target: string, visit: (msg: Message, path: readonly string[]) => void): void {
  const walk = (type: string, msg: Message, path: string[]): void => {
    if (type === target) visit(msg, path);
    for (const f of FIELDS[type]!) {
      if (f.type !== 'message') continue;
      const v = msg[f.name];
      if (v == null) continue;
      if (f.repeated) {
        const arr = v as Message[];
        for (let i = 0; i < arr.length; i++) walk(f.message!, arr[i]!, [...path, `${f.name}[${i}]`]);
      } else if (Object.prototype.hasOwnProperty.call(msg, f.name)) {
        walk(f.message!, v as Message, [...path, f.name]);
      }
    }
  };
  walk(rootType, root as Message, []);
}

/** A shallow copy of a decoded message that keeps its prototype (defaults) and its non-enumerable `$unknowns`. */
export function cloneShallow<T extends object>(msg: T): T {
  return Object.create(Object.getPrototypeOf(msg), Object.getOwnPropertyDescriptors(msg)) as T;
}

/**
 * Returns `root` with every message of type `target` replaced by `replace(msg)`.
 * Containers on the way to a replaced message are shallow-copied; nothing is
 * mutated, and subtrees where nothing changed are shared with `root`.
 */
export function mapMessages<T extends object>(rootType: string, root: T, target: string, replace: (msg: Message) => Message): T {
  const map = (type: string, msg: Message): Message => {
    let current = type === target ? replace(msg) : msg;
    let copied = current !== msg;
    for (const f of FIELDS[type]!) {
      if (f.type !== 'message') continue;
      const v = current[f.name];
      if (v == null) continue;
      if (f.repeated) {
        const arr = v as Message[];
        let out: Message[] | undefined;
        for (let i = 0; i < arr.length; i++) {
          const m = map(f.message!, arr[i]!);
          if (m !== arr[i]) (out ??= arr.slice())[i] = m;
        }
        if (out) {
          if (!copied) { current = cloneShallow(current); copied = true; }
          current[f.name] = out;
        }
      } else if (Object.prototype.hasOwnProperty.call(current, f.name)) {
        const m = map(f.message!, v as Message);
        if (m !== v) {
          if (!copied) { current = cloneShallow(current); copied = true; }
          current[f.name] = m;
        }
      }
    }
    return current;
  };
  return map(rootType, root as Message) as T;
}
