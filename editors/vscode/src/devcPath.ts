/**
 * Finds the devc binary: the `devc.path` setting when set, else the PATH.
 * Pure Node (no `vscode` import): the caller passes the setting and environment,
 * so the rules are unit-tested without an editor.
 */
import * as fs from 'fs';
import * as path from 'path';

export type Resolution =
    | { ok: true; path: string; source: 'setting' | 'PATH' }
    | { ok: false; reason: 'settingInvalid' | 'notOnPath'; message: string };

export interface ResolveInput {
    /** The `devc.path` setting as the user wrote it ('' or undefined: not set). */
    setting?: string;
    env: NodeJS.ProcessEnv;
    platform: NodeJS.Platform;
    /** Folder that relative settings and `${workspaceFolder}` refer to. */
    workspaceFolder?: string;
    /** The user's home folder, for `~`. */
    home?: string;
    /** Override for tests; default: a regular file the user may execute. */
    isExecutable?: (file: string) => boolean;
}

/** `~`, `${workspaceFolder}` and relative paths in the setting, made absolute where possible. */
export function expandSetting(value: string, workspaceFolder?: string, home?: string): string {
    let v = value.trim();
    if (home && (v === '~' || v.startsWith('~/') || v.startsWith('~\\'))) {
        v = path.join(home, v.slice(1));
    }
    if (workspaceFolder) {
        v = v.split('${workspaceFolder}').join(workspaceFolder);
        if (!path.isAbsolute(v)) {
            v = path.join(workspaceFolder, v);
        }
    }
    return v;
}

/** A regular file this process may execute (any regular file on Windows). */
export function isExecutableFile(file: string, platform: NodeJS.Platform = process.platform): boolean {
    try {
        if (!fs.statSync(file).isFile()) {
            return false;
        }
        if (platform === 'win32') {
            return true;
        }
        fs.accessSync(file, fs.constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

/** The first `name` on the PATH (with PATHEXT on Windows), as a shell would find it. */
export function searchPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform, isExecutable: (f: string) => boolean): string | undefined {
    const win = platform === 'win32';
    const pathVar = (win ? env.Path ?? env.PATH : env.PATH) ?? '';
    const sep = win ? ';' : ':';
    const join = win ? path.win32.join : path.posix.join;
    const exts = win ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter((e) => e !== '') : [''];
    for (const dir of pathVar.split(sep)) {
        if (dir === '') {
            continue; // an empty entry means the current directory: never trust it for a binary
        }
        for (const ext of exts) {
            // Windows file names are case-insensitive: `devc.EXE` finds devc.exe.
            const candidate = join(dir, name + ext);
            if (isExecutable(candidate)) {
                return candidate;
            }
        }
    }
    return undefined;
}

/** Where devc is, or why it cannot be used (a message naming the fix). */
export function resolveDevc(input: ResolveInput): Resolution {
    const isExec = input.isExecutable ?? ((f: string) => isExecutableFile(f, input.platform));
    const raw = input.setting?.trim() ?? '';
    if (raw !== '') {
        const file = expandSetting(raw, input.workspaceFolder, input.home);
        if (isExec(file)) {
            return { ok: true, path: file, source: 'setting' };
        }
        return {
            ok: false,
            reason: 'settingInvalid',
            message: `The setting devc.path is "${raw}", but ${file} is not an executable file. Point devc.path at the devc binary, or clear it to use devc from the PATH.`,
        };
    }
    const found = searchPath('devc', input.env, input.platform, isExec);
    if (found) {
        return { ok: true, path: found, source: 'PATH' };
    }
    return {
        ok: false,
        reason: 'notOnPath',
        message: 'devc was not found on the PATH. Install it (see the extension README: `cargo install --locked --path server/cli` in a devc checkout), or set devc.path to the binary.',
    };
}

/** Arguments of the debug adapter: `devc dap`, with `--runtime` unless it is `auto`. */
export function dapArgs(runtime: string | undefined): string[] {
    const r = (runtime ?? 'auto').trim();
    return r === '' || r === 'auto' ? ['dap'] : ['dap', '--runtime', r];
}
