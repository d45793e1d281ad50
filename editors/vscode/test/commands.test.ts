import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { byClientId, byServerId, CONTAINER_COMMANDS, executeParams, interpretResult, OTHER_COMMANDS } from '../src/commands';
import { packageJson, repoFile } from './helpers';

/** The server's command ids, read from server/lsp/src/commands.rs (`pub const UP: &str = "devcontainer.up";`). */
function serverCommandIds(): string[] {
    const src = repoFile('server', 'lsp', 'src', 'commands.rs');
    const consts = new Map<string, string>();
    for (const m of src.matchAll(/pub const (\w+): &str = "([^"]+)";/g)) {
        consts.set(m[1], m[2]);
    }
    const names = /pub const NAMES: \[&str; \d+\] = \[([^\]]*)\]/.exec(src);
    assert.ok(names, 'NAMES not found in server/lsp/src/commands.rs');
    return names[1].split(',').map((s) => s.trim()).filter((s) => s !== '').map((c) => {
        const id = consts.get(c);
        assert.ok(id, `constant ${c} not found`);
        return id;
    });
}

test("every server command has exactly one palette command, and nothing else", () => {
    const server = serverCommandIds();
    assert.equal(server.length, 6);
    assert.deepEqual(CONTAINER_COMMANDS.map((c) => c.serverId).sort(), [...server].sort());
});

test('palette ids never reuse a server id (vscode-languageclient registers those)', () => {
    const server = new Set(serverCommandIds());
    const contributed: string[] = packageJson().contributes.commands.map((c: any) => c.command);
    for (const id of contributed) {
        assert.ok(!server.has(id), `${id} is registered by vscode-languageclient from the server's executeCommandProvider`);
        assert.ok(id.startsWith('devc.'), id);
    }
    assert.equal(new Set(contributed).size, contributed.length, 'duplicate contributed command');
});

test('package.json contributes every command the extension registers, and menus name only those', () => {
    const pkg = packageJson();
    const contributed = new Map<string, any>(pkg.contributes.commands.map((c: any) => [c.command, c]));
    const registered = [...CONTAINER_COMMANDS.map((c) => c.clientId), ...Object.values(OTHER_COMMANDS)];
    assert.deepEqual([...contributed.keys()].sort(), [...registered].sort());
    for (const c of CONTAINER_COMMANDS) {
        assert.ok(contributed.get(c.clientId).title.startsWith(c.title), `${c.clientId}: ${contributed.get(c.clientId).title}`);
    }
    for (const [menu, entries] of Object.entries<any[]>(pkg.contributes.menus)) {
        for (const e of entries) {
            assert.ok(contributed.has(e.command), `${menu} names ${e.command}`);
        }
    }
});

test('lookups both ways', () => {
    assert.equal(byClientId('devc.rebuildNoCache')?.serverId, 'devcontainer.rebuildNoCache');
    assert.equal(byServerId('devcontainer.down')?.clientId, 'devc.down');
    assert.equal(byServerId('devc.down'), undefined);
    assert.equal(byClientId('devcontainer.up'), undefined);
});

test('only Up and the Rebuilds run workspace code (they need a trusted workspace)', () => {
    assert.deepEqual(CONTAINER_COMMANDS.filter((c) => c.runsWorkspaceCode).map((c) => c.clientId), ['devc.up', 'devc.rebuild', 'devc.rebuildNoCache']);
});

test('executeCommand params carry the devcontainer.json URI first, as the server requires', () => {
    const up = byClientId('devc.up')!;
    assert.deepEqual(executeParams(up, 'file:///ws/.devcontainer/devcontainer.json'), {
        command: 'devcontainer.up',
        arguments: ['file:///ws/.devcontainer/devcontainer.json'],
    });
});

test('results: success, error (already shown by the server), and anything else', () => {
    const stop = byClientId('devc.stop')!;
    assert.deepEqual(interpretResult(stop, { outcome: 'success', containerId: '0123456789abcdef0123' }), {
        ok: true,
        message: 'Dev container: Stop done (container 0123456789ab)',
    });
    assert.deepEqual(interpretResult(stop, { outcome: 'success' }), { ok: true, message: 'Dev container: Stop done' });
    assert.deepEqual(interpretResult(stop, { outcome: 'error', message: 'no dev container' }), {
        ok: false,
        message: 'Dev container: Stop failed: no dev container',
        shown: true,
    });
    for (const odd of [null, undefined, 'done', { outcome: 'maybe' }]) {
        const r = interpretResult(stop, odd);
        assert.equal(r.ok, false);
        assert.equal(!r.ok && r.shown, false);
    }
});
