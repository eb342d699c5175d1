/**
 * Typed errors. Every failure a user can cause (a bad file, a bad flag, an
 * unsafe external-data path) is a TreluError with a stable `code`; the CLI
 * prints `message` and `hint` on one line each and exits with `exitCode`.
 * Anything else that escapes is a bug in onnx-trelu.
 */
export type TreluErrorCode =
  | 'E_FILE_NOT_FOUND'
  | 'E_NOT_A_FILE'
  | 'E_READ'
  | 'E_WRITE'
  | 'E_DECODE'
  | 'E_NOT_A_MODEL'
  | 'E_EXTERNAL_DATA'
  | 'E_UNSAFE_PATH'
  | 'E_TOO_LARGE'
  | 'E_UNKNOWN_FIELD'
  | 'E_USAGE'
  | 'E_SAME_FILE'
  | 'E_GRAPH'
  | 'E_UNSUPPORTED'
  | 'E_UNSAFE_OUTPUT'
  | 'E_LIMIT'
  | 'E_CHECKPOINT'
  | 'E_DATA'
  | 'E_DIVERGED'
  /** A bug in a rule or pass (a gradient rule reading a value its saves do not declare, say), not in the input. */
  | 'E_INTERNAL';

/** Exit code 2: the input or the command line was bad. 1 is for failed checks. */
export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

export class TreluError extends Error {
  readonly code: TreluErrorCode;
  readonly hint?: string;
  readonly exitCode: number;

  constructor(code: TreluErrorCode, message: string, options: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TreluError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? EXIT_BAD_INPUT;
  }
}

export function isTreluError(e: unknown): e is TreluError {
  return e instanceof TreluError;
}
