// The extension's assumptions about `devc lsp`, checked against the real binary
// over stdio with vscode-languageserver-protocol (the library under
// vscode-languageclient): how it is started, the command ids it registers, the
// diagnostic codes the overlap filter relies on, the code lenses the status
// bar reads, and the executeCommand round trip. Needs DEVC_BIN (the Rust test
// server/cli/tests/vscode_extension.rs sets it); skipped without it.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
    CodeLensRequest,
    createProtocolConnection,
    DidOpenTextDocumentNotification,
    ExecuteCommandRequest,
    ExitNotification,
    InitializedNotification,
    InitializeRequest,
    PublishDiagnosticsNotification,
    PublishDiagnosticsParams,
    ShowMessageNotification,
    ShowMessageParams,
    ShutdownRequest,
    StreamMessageReader,
    StreamMessageWriter,
    WorkDoneProgressCreateRequest,
} from 'vscode-languageserver-protocol/node';
import { byClientId, byServerId, CONTAINER_COMMANDS, executeParams, interpretResult } from '../src/commands';
import { DEVC_ONLY_CODES, filterDiagnostics } from '../src/diagnostics';
import { documentSelector } from '../src/documents';
import { statusFromLenses } from '../src/status';

const devc = process.env.DEVC_BIN;

function workspace(config: string): { dir: string; uri: string; text: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'devc-vscode-lsp-'));
    fs.mkdirSync(path.join(dir, '.devcontainer'));
    const file = path.join(dir, '.devcontainer', 'devcontainer.json');
    fs.writeFileSync(file, config);
    return { dir, uri: pathToFileURL(file).href, text: config };
}

test('devc lsp keeps the contract the extension relies on', { skip: devc ? false : 'set DEVC_BIN to the devc binary', timeout: 60_000 }, async (t) => {
    // The config: a duplicate key (VS Code reports it too), a schema error and an
    // unknown property (VS Code reports them with the official schema), and a
    // missing Dockerfile (only devc checks it).
    const broken = workspace('{\n  "name": "a",\n  "name": "b",\n  "build": { "dockerfile": "Dockerfile.missing" },\n  "forwardPorts": [true],\n  "remoteuser": "dev"\n}\n');
    const clean = workspace('{ "image": "devc-test-busybox:latest" }\n');

    // Started as the extension starts it: `devc lsp`, no `--stdio`.
    const child = spawn(devc!, ['lsp'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b.toString()));
    const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    const published = new Map<string, PublishDiagnosticsParams>();
    const waiters = new Map<string, (p: PublishDiagnosticsParams) => void>();
    conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
        published.set(p.uri, p);
        waiters.get(p.uri)?.(p);
    });
    const messages: ShowMessageParams[] = [];
    conn.onNotification(ShowMessageNotification.type, (p) => messages.push(p));
    conn.onRequest(WorkDoneProgressCreateRequest.type, () => null);
    conn.onRequest('workspace/codeLens/refresh', () => null);
    conn.listen();
    const diagnosticsOf = (uri: string) =>
        new Promise<PublishDiagnosticsParams>((resolve) => {
            const seen = published.get(uri);
            if (seen) {
                resolve(seen);
            } else {
                waiters.set(uri, resolve);
            }
        });

    try {
        const init = await conn.sendRequest(InitializeRequest.type, {
            processId: process.pid,
            rootUri: pathToFileURL(broken.dir).href,
            workspaceFolders: null,
            capabilities: {
                window: { workDoneProgress: true, showMessage: {} },
                workspace: { codeLens: { refreshSupport: true }, executeCommand: {} },
                textDocument: { codeLens: {}, publishDiagnostics: {} },
            },
        });
        // vscode-languageclient registers exactly these ids: the palette must use others.
        assert.deepEqual([...(init.capabilities.executeCommandProvider?.commands ?? [])].sort(), CONTAINER_COMMANDS.map((c) => c.serverId).sort());
        assert.ok(init.capabilities.codeLensProvider, 'the status bar reads code lenses');
        await conn.sendNotification(InitializedNotification.type, {});

        const languageId = documentSelector()[0].language;
        await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: broken.uri, languageId, version: 1, text: broken.text } });
        const diags = (await diagnosticsOf(broken.uri)).diagnostics;
        const codes = diags.map((d) => String(d.code));
        for (const code of ['duplicate-key', 'schema', 'unknown-property', 'missing-file']) {
            assert.ok(codes.includes(code), `expected a ${code} diagnostic, got ${JSON.stringify(diags)}`);
        }
        assert.ok(diags.every((d) => d.source === 'devc'));
        const builtinOn = { extensionEnabled: true, validate: true, schemaDownload: true };
        const kept = filterDiagnostics(diags, 'hideDuplicates', builtinOn).map((d) => String(d.code));
        assert.deepEqual(kept, ['missing-file']);
        assert.ok(kept.every((c) => DEVC_ONLY_CODES.includes(c)));
        assert.equal(filterDiagnostics(diags, 'hideDuplicates', { ...builtinOn, validate: false }).length, diags.length);

        // The status bar's source: a fresh workspace has no container (or no Docker here).
        const lenses = await conn.sendRequest(CodeLensRequest.type, { textDocument: { uri: broken.uri } });
        const info = statusFromLenses(lenses);
        assert.ok(info.state === 'notCreated' || info.state === 'unavailable', `state ${JSON.stringify(info)} from ${JSON.stringify(lenses)}`);
        for (const lens of lenses ?? []) {
            assert.ok(lens.command && byServerId(lens.command.command), `lens command ${JSON.stringify(lens.command)} has no palette counterpart`);
        }

        // A palette command's round trip: Stop on a workspace without a container.
        const stop = byClientId('devc.stop')!;
        const before = messages.length;
        const result = await conn.sendRequest(ExecuteCommandRequest.type, executeParams(stop, clean.uri));
        const outcome = interpretResult(stop, result);
        t.diagnostic(`container state ${info.state}; Stop: ${outcome.message}; diagnostics ${codes.join(', ')}`);
        if (outcome.ok) {
            assert.equal(outcome.message, 'Dev container: Stop done');
        } else {
            assert.ok(outcome.shown, `not a result object: ${JSON.stringify(result)}`);
            // The notification and the response travel separately: allow the notification a moment.
            for (let i = 0; i < 50 && messages.length === before; i++) {
                await new Promise((r) => setTimeout(r, 100));
            }
            assert.ok(messages.length > before, 'an error result comes with window/showMessage (so the extension does not repeat it)');
        }
        assert.equal(info.state === 'unavailable', !outcome.ok, `Docker availability disagrees: lens ${JSON.stringify(info)}, stop ${JSON.stringify(result)}`);

        // A command without the URI is refused with a message that says so.
        await assert.rejects(conn.sendRequest(ExecuteCommandRequest.type, { command: stop.serverId, arguments: [] }), /URI/);

        await conn.sendRequest(ShutdownRequest.type);
        await conn.sendNotification(ExitNotification.type);
        assert.equal(await exited, 0, stderr);
    } finally {
        child.kill();
        conn.dispose();
        fs.rmSync(broken.dir, { recursive: true, force: true });
        fs.rmSync(clean.dir, { recursive: true, force: true });
    }
});
