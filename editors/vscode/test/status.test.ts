import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { LensLike, statusFromLenses, statusView } from '../src/status';
import { repoFile } from './helpers';

const lens = (title: string, command: string): LensLike => ({ command: { title, command } });
const commandLenses = ['Up', 'Rebuild', 'Stop', 'Down'].map((t) => lens(t, `devcontainer.${t.toLowerCase()}`));

test('the titles parsed here are the ones server/lsp/src/commands.rs produces', () => {
    const src = repoFile('server', 'lsp', 'src', 'commands.rs');
    for (const s of ['"Dev container: not created"', 'Dev container: running since {}', '"stopped"', 'Dev container: Docker not available ({})', '"Config changed since last up → Rebuild"', 'lens(state, SHOW_LOG)']) {
        assert.ok(src.includes(s), `server/lsp/src/commands.rs no longer contains ${s}: update src/status.ts`);
    }
});

test('running, with the time', () => {
    const info = statusFromLenses([lens('Dev container: running since 2026-11-29 14:38:01 UTC', 'devcontainer.showLog'), ...commandLenses]);
    assert.deepEqual(info, { state: 'running', detail: 'since 2026-11-29 14:38:01 UTC', configChanged: false });
    const view = statusView(info, { configName: '.devcontainer/devcontainer.json' });
    assert.equal(view.text, '$(vm-running) Dev container: running');
    assert.match(view.tooltip, /since 2026-11-29 14:38:01 UTC \(\.devcontainer\/devcontainer\.json\)/);
    assert.equal(view.level, 'normal');
});

test('stopped with a changed config warns', () => {
    const info = statusFromLenses([
        lens('Dev container: stopped', 'devcontainer.showLog'),
        lens('Config changed since last up → Rebuild', 'devcontainer.rebuild'),
        ...commandLenses,
    ]);
    assert.deepEqual(info, { state: 'stopped', configChanged: true });
    const view = statusView(info);
    assert.equal(view.text, '$(vm-outline) Dev container: stopped $(warning)');
    assert.match(view.tooltip, /Rebuild/);
    assert.equal(view.level, 'warning');
});

test('the plain Rebuild lens is not a config change', () => {
    assert.equal(statusFromLenses([lens('Dev container: not created', 'devcontainer.showLog'), ...commandLenses]).configChanged, false);
});

test('not created, other engine states, no Docker', () => {
    assert.deepEqual(statusFromLenses([lens('Dev container: not created', 'devcontainer.showLog')]), { state: 'notCreated', configChanged: false });
    assert.deepEqual(statusFromLenses([lens('Dev container: paused', 'devcontainer.showLog')]), { state: 'other', detail: 'paused', configChanged: false });
    const docker = statusFromLenses([lens('Dev container: Docker not available (cannot connect to unix:///var/run/docker.sock (is dockerd running?))', 'devcontainer.showLog')]);
    assert.equal(docker.state, 'unavailable');
    assert.equal(docker.detail, 'cannot connect to unix:///var/run/docker.sock (is dockerd running?)');
    assert.equal(statusView(docker).text, '$(vm-outline) Dev container: no Docker');
    assert.equal(statusView(docker).level, 'warning');
});

test('nothing known: no lenses, null, or lenses from elsewhere', () => {
    for (const lenses of [null, undefined, [], [lens('Up', 'devcontainer.up')], [{ command: null }], [lens('Dev container: running', 'other.command')]]) {
        assert.deepEqual(statusFromLenses(lenses as LensLike[] | null | undefined), { state: 'unknown', configChanged: false });
    }
    assert.equal(statusView({ state: 'unknown', configChanged: false }).text, '$(vm-outline) Dev container');
    assert.equal(statusView(undefined).text, '$(vm-outline) Dev container');
});

test('a running command shows instead of the state', () => {
    const view = statusView({ state: 'running', configChanged: true }, { busy: 'Rebuild' });
    assert.equal(view.text, '$(sync~spin) Dev container: Rebuild…');
    assert.equal(view.level, 'normal');
});
