/**
 * Keeps devc's diagnostics from repeating VS Code's built-in JSON validation.
 * VS Code validates devcontainer.json itself (syntax, duplicate keys, and the
 * official schema, fetched when schema download is on). devc reports the same
 * problems plus its own (referenced files, mounts, variables, Features). While
 * the built-in validation covers a kind of problem, devc's copy is hidden.
 */

/** devc codes (server/config diagnose.rs `DiagnosticCode::name`) VS Code's JSON server reports as well. */
export const SYNTAX_CODES: readonly string[] = ['syntax', 'duplicate-key'];
export const SCHEMA_CODES: readonly string[] = ['unknown-property', 'deprecated', 'missing-property', 'schema'];
/** devc's own checks, which VS Code does not make: always shown. */
export const DEVC_ONLY_CODES: readonly string[] = ['missing-file', 'invalid-mount', 'variable', 'image-and-build', 'empty-command', 'feature'];

/** The server's `source` on every diagnostic. */
export const DEVC_SOURCE = 'devc';

/** devc's "no container source" hint (a missing-property finding) says what the schema cannot: keep it. */
const DEVC_ONLY_MESSAGE = /^no container source/;

export interface BuiltinJson {
    /** The built-in "JSON Language Features" extension is enabled. */
    extensionEnabled: boolean;
    /** `json.validate.enable`. */
    validate: boolean;
    /** `json.schemaDownload.enable`: the official schema is remote. */
    schemaDownload: boolean;
}

export type OverlapMode = 'hideDuplicates' | 'showAll';

export interface DiagnosticLike {
    code?: string | number | { value: string | number } | null;
    source?: string;
    message: string;
}

function codeOf(d: DiagnosticLike): string | undefined {
    const c = d.code;
    if (c === undefined || c === null) {
        return undefined;
    }
    return typeof c === 'object' ? String(c.value) : String(c);
}

/** True when VS Code's own JSON validation already reports this devc finding. */
export function coveredByBuiltin(d: DiagnosticLike, builtin: BuiltinJson): boolean {
    if (d.source !== DEVC_SOURCE || !builtin.extensionEnabled || !builtin.validate) {
        return false;
    }
    const code = codeOf(d);
    if (code === undefined) {
        return false;
    }
    if (SYNTAX_CODES.includes(code)) {
        return true;
    }
    return builtin.schemaDownload && SCHEMA_CODES.includes(code) && !DEVC_ONLY_MESSAGE.test(d.message);
}

export function filterDiagnostics<T extends DiagnosticLike>(diagnostics: readonly T[], mode: OverlapMode, builtin: BuiltinJson): T[] {
    if (mode === 'showAll') {
        return [...diagnostics];
    }
    return diagnostics.filter((d) => !coveredByBuiltin(d, builtin));
}
