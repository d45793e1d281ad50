/**
 * Which files are dev container configurations: the language client's
 * document selector, the workspace search, and the choice of the
 * devcontainer.json a palette command acts on.
 */
import * as path from 'path';

/** The language client's document patterns (the files devc lsp serves in VS Code). */
export const DOCUMENT_PATTERNS: readonly string[] = ['**/.devcontainer.json', '**/.devcontainer/**/devcontainer.json'];

/** Where the spec looks for a configuration, at any depth of the workspace. */
export const DISCOVERY_GLOB = '**/{.devcontainer.json,.devcontainer/devcontainer.json,.devcontainer/*/devcontainer.json}';
export const DISCOVERY_EXCLUDE = '**/node_modules/**';

export interface DocumentFilter {
    scheme: string;
    language: string;
    pattern: string;
}

/** VS Code files.associations may map the files to json instead of jsonc: accept both. */
export function documentSelector(): DocumentFilter[] {
    const out: DocumentFilter[] = [];
    for (const language of ['jsonc', 'json']) {
        for (const pattern of DOCUMENT_PATTERNS) {
            out.push({ scheme: 'file', language, pattern });
        }
    }
    return out;
}

function segments(p: string): string[] {
    return p.split(/[\\/]+/).filter((s) => s !== '');
}

/** Does `file` match one of [DOCUMENT_PATTERNS]? */
export function isDevcontainerPath(file: string): boolean {
    const parts = segments(file);
    const name = parts[parts.length - 1];
    if (name === '.devcontainer.json') {
        return true;
    }
    return name === 'devcontainer.json' && parts.slice(0, -1).includes('.devcontainer');
}

export type Target = { kind: 'one'; path: string } | { kind: 'pick'; paths: string[] } | { kind: 'none' };

/**
 * The configuration a command without an argument acts on: the active editor's
 * when it is one, else the only one in the workspace, else the user picks
 * (sorted, the shallowest first).
 */
export function chooseTarget(active: string | undefined, candidates: readonly string[]): Target {
    if (active && isDevcontainerPath(active)) {
        return { kind: 'one', path: active };
    }
    const unique = [...new Set(candidates.filter(isDevcontainerPath))];
    if (unique.length === 0) {
        return { kind: 'none' };
    }
    if (unique.length === 1) {
        return { kind: 'one', path: unique[0] };
    }
    unique.sort((a, b) => segments(a).length - segments(b).length || a.localeCompare(b));
    return { kind: 'pick', paths: unique };
}

/** A short name for a configuration: its path relative to `root` when inside it. */
export function configLabel(file: string, root: string | undefined): string {
    if (root) {
        const rel = path.relative(root, file);
        if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel)) {
            return rel.split(path.sep).join('/');
        }
    }
    return file;
}
