/** Helpers the ORT backends share, browser-safe (no Node built-ins): ort-node and ort-web both use them. */

/** The first line of an error's message: ORT's errors carry multi-line native traces after it. */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!.trim();
}
