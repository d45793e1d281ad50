import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { dapArgs, expandSetting, isExecutableFile, resolveDevc, searchPath } from '../src/devcPath';

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'devc-vscode-'));
}

function executable(dir: string, name = 'devc'): string {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, name);
    fs.writeFileSync(file, '#!/bin/sh\n');
    fs.chmodSync(file, 0o755);
    return file;
}

const posix = process.platform !== 'win32';

test('the setting wins over the PATH', { skip: !posix }, () => {
    const root = tempDir();
    const onPath = executable(path.join(root, 'bin'));
    const configured = executable(path.join(root, 'custom'));
    const r = resolveDevc({ setting: configured, env: { PATH: path.dirname(onPath) }, platform: process.platform });
    assert.deepEqual(r, { ok: true, path: configured, source: 'setting' });
});

test('a setting that is not an executable file is an error naming the setting, not a silent fallback', { skip: !posix }, () => {
    const root = tempDir();
    const onPath = executable(path.join(root, 'bin'));
    const plain = path.join(root, 'devc.txt');
    fs.writeFileSync(plain, 'not a program');
    for (const setting of [plain, path.join(root, 'missing'), root]) {
        const r = resolveDevc({ setting, env: { PATH: path.dirname(onPath) }, platform: process.platform });
        assert.equal(r.ok, false);
        if (!r.ok) {
            assert.equal(r.reason, 'settingInvalid');
            assert.match(r.message, /devc\.path/);
            assert.ok(r.message.includes(setting), r.message);
        }
    }
});

test('~, ${workspaceFolder} and relative settings are expanded', () => {
    assert.equal(expandSetting('~/bin/devc', '/ws', '/home/me'), path.join('/home/me', 'bin/devc'));
    assert.equal(expandSetting('${workspaceFolder}/target/debug/devc', '/ws', '/home/me'), '/ws/target/debug/devc');
    assert.equal(expandSetting('target/debug/devc', '/ws'), path.join('/ws', 'target/debug/devc'));
    assert.equal(expandSetting('  /opt/devc  ', '/ws'), '/opt/devc');
    assert.equal(expandSetting('relative/devc'), 'relative/devc');
});

test('a relative setting resolves against the workspace folder', { skip: !posix }, () => {
    const ws = tempDir();
    const bin = executable(path.join(ws, 'target', 'debug'));
    const r = resolveDevc({ setting: 'target/debug/devc', env: {}, platform: process.platform, workspaceFolder: ws });
    assert.deepEqual(r, { ok: true, path: bin, source: 'setting' });
});

test('PATH is searched in order, skipping non-executables, directories and empty entries', { skip: !posix }, () => {
    const root = tempDir();
    const notExec = path.join(root, 'a');
    fs.mkdirSync(notExec);
    fs.writeFileSync(path.join(notExec, 'devc'), 'data');
    const dirNamedDevc = path.join(root, 'b');
    fs.mkdirSync(path.join(dirNamedDevc, 'devc'), { recursive: true });
    const first = executable(path.join(root, 'c'));
    executable(path.join(root, 'd'));
    const PATH = ['', notExec, dirNamedDevc, path.dirname(first), path.join(root, 'd')].join(':');
    assert.equal(searchPath('devc', { PATH }, 'linux', (f) => isExecutableFile(f, 'linux')), first);
    const r = resolveDevc({ setting: '', env: { PATH }, platform: process.platform });
    assert.deepEqual(r, { ok: true, path: first, source: 'PATH' });
});

test('an empty PATH entry (the current directory) is never searched', () => {
    const seen: string[] = [];
    searchPath('devc', { PATH: ':/usr/bin:' }, 'linux', (f) => {
        seen.push(f);
        return false;
    });
    assert.deepEqual(seen, ['/usr/bin/devc']);
});

test('Windows: Path and PATHEXT are used', () => {
    const seen: string[] = [];
    const found = searchPath('devc', { Path: 'C:\\tools;C:\\cargo\\bin', PATHEXT: '.COM;.EXE' }, 'win32', (f) => {
        seen.push(f);
        return f === 'C:\\cargo\\bin\\devc.EXE';
    });
    assert.equal(found, 'C:\\cargo\\bin\\devc.EXE');
    assert.deepEqual(seen, ['C:\\tools\\devc.COM', 'C:\\tools\\devc.EXE', 'C:\\cargo\\bin\\devc.COM', 'C:\\cargo\\bin\\devc.EXE']);
});

test('missing everywhere: the message says how to install or configure', () => {
    const r = resolveDevc({ env: { PATH: '/nonexistent-devc-dir' }, platform: 'linux' });
    assert.equal(r.ok, false);
    if (!r.ok) {
        assert.equal(r.reason, 'notOnPath');
        assert.match(r.message, /not found on the PATH/);
        assert.match(r.message, /README/);
        assert.match(r.message, /devc\.path/);
    }
});

test('debug adapter arguments: `dap`, plus --runtime unless auto', () => {
    assert.deepEqual(dapArgs(undefined), ['dap']);
    assert.deepEqual(dapArgs('auto'), ['dap']);
    assert.deepEqual(dapArgs(''), ['dap']);
    assert.deepEqual(dapArgs('podman'), ['dap', '--runtime', 'podman']);
});
