// One error base class for the whole project: every error we raise on purpose carries a stable `code`
// (RS_ERR_...) and a one-line message that names the input and the fix. Subclasses only narrow the code.
export class RetinaStreamError<C extends string = string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The code of a RetinaStreamError (or any error with a string `code`), else undefined. */
export function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
