import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { isWebUri, readyAction } from '../src/ready';

const plain = { hasServerReadyAction: false };

test('openExternally with an http URI opens it', () => {
    const a = readyAction({ uri: 'http://localhost:3000', port: 3000, elapsedMs: 1520, action: 'openExternally' }, plain);
    assert.deepEqual(a, { kind: 'open', uri: 'http://localhost:3000', message: 'Dev container process ready: http://localhost:3000 (after 1.5 s)' });
    assert.equal(readyAction({ uri: 'https://127.0.0.1:8443/app', action: 'openExternally' }, plain).kind, 'open');
});

test('notify (the default) only tells', () => {
    assert.deepEqual(readyAction({ uri: 'http://localhost:3000', port: 3000, elapsedMs: 10, action: 'notify' }, plain), {
        kind: 'notify',
        message: 'Dev container process ready: http://localhost:3000 (after 0.0 s)',
    });
    assert.equal(readyAction({ uri: 'http://localhost:3000' }, plain).kind, 'notify');
    assert.equal(readyAction({ port: 8080, action: 'notify' }, plain).message, 'Dev container process ready: port 8080');
});

test('only http(s) URIs are opened: the URI comes from the process output', () => {
    for (const uri of ['file:///etc/passwd', 'command:workbench.action.quit', 'javascript:alert(1)', 'vscode://x', 'not a uri', 'http://']) {
        const a = readyAction({ uri, action: 'openExternally' }, plain);
        assert.equal(a.kind, 'notify', uri);
        assert.match(a.message, /not opened|nothing to open/);
    }
    assert.equal(isWebUri('HTTP://LOCALHOST:1'), true);
});

test('openExternally without a URI (a probe with no pattern) says there is nothing to open', () => {
    const a = readyAction({ uri: null, port: null, elapsedMs: 2000, action: 'openExternally' }, plain);
    assert.equal(a.kind, 'notify');
    assert.match(a.message, /nothing to open/);
    assert.match(a.message, /after 2\.0 s/);
});

test("VS Code's serverReadyAction in the same configuration opens it instead (no double open)", () => {
    const a = readyAction({ uri: 'http://localhost:3000', action: 'openExternally' }, { hasServerReadyAction: true });
    assert.equal(a.kind, 'notify');
    assert.match(a.message, /serverReadyAction/);
});

test('malformed bodies never throw', () => {
    for (const body of [undefined, null, 'ready', 42, [], { uri: 5, elapsedMs: 'soon', action: 'openExternally' }]) {
        const a = readyAction(body, plain);
        assert.equal(a.kind, 'notify');
        assert.match(a.message, /^Dev container process ready/);
    }
});
