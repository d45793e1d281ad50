import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseTarget, configLabel, documentSelector, DOCUMENT_PATTERNS, isDevcontainerPath } from '../src/documents';

test('configuration files, at any depth', () => {
    for (const p of [
        '/w/.devcontainer.json',
        '/w/.devcontainer/devcontainer.json',
        '/w/.devcontainer/python/devcontainer.json',
        '/w/apps/api/.devcontainer/devcontainer.json',
        'C:\\w\\.devcontainer\\devcontainer.json',
    ]) {
        assert.ok(isDevcontainerPath(p), p);
    }
    for (const p of ['/w/devcontainer.json', '/w/.devcontainer/other.json', '/w/x.devcontainer.json', '/w/.devcontainer', '/w/devcontainer.json/.devcontainer']) {
        assert.ok(!isDevcontainerPath(p), p);
    }
});

test('the selector covers jsonc (and json) files on disk with both patterns', () => {
    assert.deepEqual(DOCUMENT_PATTERNS, ['**/.devcontainer.json', '**/.devcontainer/**/devcontainer.json']);
    const sel = documentSelector();
    for (const pattern of DOCUMENT_PATTERNS) {
        assert.ok(sel.some((f) => f.language === 'jsonc' && f.scheme === 'file' && f.pattern === pattern));
    }
    assert.ok(sel.every((f) => f.scheme === 'file'));
});

test('the active editor wins, then the only configuration, else a sorted pick', () => {
    const a = '/w/.devcontainer/devcontainer.json';
    const b = '/w/.devcontainer/node/devcontainer.json';
    const c = '/w/.devcontainer.json';
    assert.deepEqual(chooseTarget(b, [a, c]), { kind: 'one', path: b });
    assert.deepEqual(chooseTarget('/w/src/main.rs', [a]), { kind: 'one', path: a });
    assert.deepEqual(chooseTarget(undefined, [b, a, c, a]), { kind: 'pick', paths: [c, a, b] });
    assert.deepEqual(chooseTarget(undefined, []), { kind: 'none' });
    assert.deepEqual(chooseTarget(undefined, ['/w/package.json']), { kind: 'none' });
});

test('labels are relative to the folder when inside it', () => {
    assert.equal(configLabel('/w/.devcontainer/devcontainer.json', '/w'), '.devcontainer/devcontainer.json');
    assert.equal(configLabel('/other/.devcontainer.json', '/w'), '/other/.devcontainer.json');
    assert.equal(configLabel('/w/.devcontainer.json', undefined), '/w/.devcontainer.json');
});
