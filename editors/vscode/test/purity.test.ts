// The logic modules must run in plain Node: only extension.ts may import `vscode`.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXTENSION_DIR, packageJson } from './helpers';

test('only src/extension.ts imports vscode', () => {
    const dir = path.join(EXTENSION_DIR, 'src');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 8);
    for (const f of files) {
        const imports = /from ['"]vscode['"]|require\(['"]vscode['"]\)/.test(fs.readFileSync(path.join(dir, f), 'utf8'));
        assert.equal(imports, f === 'extension.ts', f);
    }
});

test('the manifest points at the compiled entry point and a VS Code the client library supports', () => {
    const pkg = packageJson();
    assert.equal(pkg.main, './out/src/extension.js');
    assert.ok(fs.existsSync(path.join(EXTENSION_DIR, pkg.main)), 'run npm run compile first');
    const client = JSON.parse(fs.readFileSync(path.join(EXTENSION_DIR, 'node_modules', 'vscode-languageclient', 'package.json'), 'utf8'));
    assert.equal(pkg.engines.vscode, client.engines.vscode);
    assert.ok(pkg.activationEvents.includes('onDebugResolve:devcontainer'));
});
