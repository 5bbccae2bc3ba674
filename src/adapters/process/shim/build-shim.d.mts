// Types for build-shim.mjs (plain JavaScript so that npm can run it before any TypeScript tooling).
export declare const SHIM_SOURCE: string;
export declare const SHIM_BINARY: string;
export declare class ShimBuildError extends Error {}
export declare function buildShim(options?: { force?: boolean }): Promise<{ path: string; built: boolean }>;
export declare function ensureShim(): Promise<string>;
