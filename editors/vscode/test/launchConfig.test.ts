import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultConfiguration, resolveLaunch } from '../src/launchConfig';

test('F5 without a launch.json asks for a command', () => {
    assert.deepEqual(resolveLaunch({}, '/ws'), { kind: 'askCommand' });
});

test('workspaceFolder defaults to the folder of the configuration', () => {
    const r = resolveLaunch(defaultConfiguration('make run'), '/home/me/proj');
    assert.equal(r.kind, 'ready');
    if (r.kind === 'ready') {
        assert.equal(r.config.workspaceFolder, '/home/me/proj');
        assert.equal(r.config.command, 'make run');
        assert.equal(r.config.request, 'launch');
    }
});

test('an explicit workspaceFolder is kept, and without a folder none is invented', () => {
    const mine = { type: 'devcontainer', request: 'launch', name: 'x', command: 'a', workspaceFolder: '/elsewhere' };
    const r = resolveLaunch(mine, '/ws');
    assert.deepEqual(r, { kind: 'ready', config: mine });
    const none = resolveLaunch({ type: 'devcontainer', request: 'launch', name: 'x', program: 'a' }, undefined);
    assert.equal(none.kind === 'ready' && 'workspaceFolder' in none.config, false);
});

test('the input is not modified', () => {
    const config = { type: 'devcontainer', request: 'launch', name: 'x', command: 'a' };
    resolveLaunch(config, '/ws');
    assert.equal('workspaceFolder' in config, false);
});
