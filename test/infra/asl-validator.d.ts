// asl-validator 4 ships no type declarations (dist/src/validator.js is CommonJS: module.exports = validator).
declare module 'asl-validator' {
  interface AslValidationError {
    'Error code': string;
    Message: string;
  }
  interface AslValidatorOptions {
    checkPaths: boolean;
    checkArn: boolean;
  }
  /** Note: adds `QueryLanguage` to every state of `definition` in place — pass a copy. */
  function aslValidator(
    definition: unknown,
    options?: AslValidatorOptions,
  ): { isValid: boolean; errors: AslValidationError[]; errorsText(separator?: string): string };
  export = aslValidator;
}
