// Paths the tests read: the extension folder and the devc repository around it.
import * as fs from 'fs';
import * as path from 'path';

/** editors/vscode (tests run from out/test). */
export const EXTENSION_DIR = path.resolve(__dirname, '..', '..');
export const REPO_DIR = path.resolve(EXTENSION_DIR, '..', '..');

export function readJson(file: string): any {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
}

export function packageJson(): any {
    return readJson(path.join(EXTENSION_DIR, 'package.json'));
}

export function repoFile(...parts: string[]): string {
    return fs.readFileSync(path.join(REPO_DIR, ...parts), 'utf8');
}
