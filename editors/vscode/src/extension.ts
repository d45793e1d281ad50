/**
 * The VS Code glue: starts `devc lsp` through vscode-languageclient, keeps the
 * status bar item, registers the palette commands and the `devcontainer`
 * debugger (`devc dap`). Every decision lives in the modules next to this one,
 * which never import `vscode` and are unit-tested in plain Node.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as vscode from 'vscode';
import { CodeLensRequest, ExecuteCommandRequest, LanguageClient, LanguageClientOptions, RevealOutputChannelOn, ServerOptions, State } from 'vscode-languageclient/node';
import { byServerId, ContainerCommand, CONTAINER_COMMANDS, executeParams, interpretResult, OTHER_COMMANDS } from './commands';
import { dapArgs, resolveDevc, Resolution } from './devcPath';
import { BuiltinJson, filterDiagnostics, OverlapMode } from './diagnostics';
import { chooseTarget, configLabel, DISCOVERY_EXCLUDE, DISCOVERY_GLOB, documentSelector, isDevcontainerPath } from './documents';
import { DEBUG_TYPE, defaultConfiguration, LaunchConfig, resolveLaunch } from './launchConfig';
import { READY_EVENT, readyAction } from './ready';
import { StatusInfo, statusFromLenses, statusView } from './status';

/** VS Code's built-in JSON support, whose validation devc's diagnostics must not repeat. */
const JSON_EXTENSION = 'vscode.json-language-features';

let current: DevcExtension | undefined;

export function activate(context: vscode.ExtensionContext): void {
    current = new DevcExtension(context);
    current.activate();
}

export async function deactivate(): Promise<void> {
    await current?.stopClient();
    current = undefined;
}

function errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

function delay(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

class DevcExtension {
    private client: LanguageClient | undefined;
    private starting: Promise<LanguageClient | undefined> | undefined;
    private readonly output = vscode.window.createOutputChannel('devc');
    private readonly item = vscode.window.createStatusBarItem('devc.status', vscode.StatusBarAlignment.Left, 10);
    /** The devcontainer.json the status bar shows and its menu acts on. */
    private target: vscode.Uri | undefined;
    private info: StatusInfo | undefined;
    private busy: string | undefined;
    /** Why devc cannot start (not found, or it failed to start). */
    private missing: string | undefined;
    private missingShown = false;
    private refreshing = false;
    /** A refresh was asked for while one ran (its answer may predate a command): run again. */
    private refreshAgain = false;
    private timer: NodeJS.Timeout | undefined;
    /** devc's diagnostics as published, so a settings change can filter them again. */
    private readonly published = new Map<string, vscode.Diagnostic[]>();

    constructor(private readonly context: vscode.ExtensionContext) {}

    activate(): void {
        const subs = this.context.subscriptions;
        this.item.name = 'Dev container (devc)';
        subs.push(this.output, this.item);
        for (const cmd of CONTAINER_COMMANDS) {
            subs.push(vscode.commands.registerCommand(cmd.clientId, (uri?: vscode.Uri) => this.runFromPalette(cmd, uri)));
        }
        subs.push(
            vscode.commands.registerCommand(OTHER_COMMANDS.showActions, () => this.showActions()),
            vscode.commands.registerCommand(OTHER_COMMANDS.restartServer, () => this.restart()),
            vscode.commands.registerCommand(OTHER_COMMANDS.showOutput, () => this.output.show(true)),
            vscode.commands.registerCommand(OTHER_COMMANDS.refreshStatus, () => this.refresh()),
        );
        this.registerDebugger();
        subs.push(
            vscode.window.onDidChangeActiveTextEditor((editor) => {
                if (editor && this.isConfig(editor.document)) {
                    this.setTarget(editor.document.uri);
                }
            }),
            vscode.workspace.onDidOpenTextDocument((doc) => {
                if (this.isConfig(doc) && !this.client) {
                    void this.ensureClient();
                }
            }),
            vscode.workspace.onDidChangeConfiguration((e) => this.onConfigurationChanged(e)),
            vscode.extensions.onDidChange(() => this.refilterDiagnostics()),
            vscode.window.onDidChangeWindowState((state) => {
                if (state.focused) {
                    void this.refresh();
                }
            }),
            { dispose: () => this.stopTimer() },
        );
        this.restartTimer();
        void this.discover();
    }

    // ---- the language server ------------------------------------------------

    private isConfig(doc: vscode.TextDocument): boolean {
        return doc.uri.scheme === 'file' && isDevcontainerPath(doc.uri.fsPath);
    }

    private folderPath(uri?: vscode.Uri): string | undefined {
        const folder = (uri && vscode.workspace.getWorkspaceFolder(uri)) ?? vscode.workspace.workspaceFolders?.[0];
        return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
    }

    private resolve(folder?: string): Resolution {
        return resolveDevc({
            setting: vscode.workspace.getConfiguration('devc').get<string>('path', ''),
            env: process.env,
            platform: process.platform,
            workspaceFolder: folder ?? this.folderPath(),
            home: os.homedir(),
        });
    }

    /** Finds the workspace's configurations; starts the server when there is one. */
    private async discover(): Promise<void> {
        const active = vscode.window.activeTextEditor?.document;
        if (active && this.isConfig(active)) {
            this.setTarget(active.uri);
        }
        if (!this.target) {
            const found = await this.findConfigs();
            const choice = chooseTarget(undefined, found.map((u) => u.fsPath));
            if (choice.kind === 'one') {
                this.setTarget(vscode.Uri.file(choice.path));
            } else if (choice.kind === 'pick') {
                this.setTarget(vscode.Uri.file(choice.paths[0]));
            }
        }
        if (this.target || vscode.workspace.textDocuments.some((d) => this.isConfig(d))) {
            await this.ensureClient();
        }
    }

    private async findConfigs(): Promise<vscode.Uri[]> {
        const found = await vscode.workspace.findFiles(DISCOVERY_GLOB, DISCOVERY_EXCLUDE, 50);
        return found.filter((u) => u.scheme === 'file');
    }

    private ensureClient(): Promise<LanguageClient | undefined> {
        if (this.client && this.client.state !== State.Stopped) {
            return Promise.resolve(this.client);
        }
        if (!this.starting) {
            this.starting = this.startClient().finally(() => {
                this.starting = undefined;
            });
        }
        return this.starting;
    }

    private async startClient(): Promise<LanguageClient | undefined> {
        await this.stopClient();
        const resolution = this.resolve();
        if (!resolution.ok) {
            this.missing = resolution.message;
            this.output.appendLine(`[devc] ${resolution.message}`);
            this.render();
            void this.reportMissing(false);
            return undefined;
        }
        this.missing = undefined;
        this.output.appendLine(`[devc] starting ${resolution.path} lsp (from ${resolution.source})`);
        // No `transport`: the client then speaks over stdio without adding `--stdio`.
        const serverOptions: ServerOptions = { command: resolution.path, args: ['lsp'], options: { cwd: this.folderPath() } };
        const clientOptions: LanguageClientOptions = {
            documentSelector: documentSelector(),
            outputChannel: this.output,
            revealOutputChannelOn: RevealOutputChannelOn.Never,
            middleware: {
                handleDiagnostics: (uri, diagnostics, next) => {
                    this.published.set(uri.toString(), diagnostics);
                    next(uri, this.filterDiagnostics(uri, diagnostics));
                },
                // The server's own commands (code lenses, code actions) pass here too.
                executeCommand: (command, args, next) => {
                    const cmd = byServerId(command);
                    if (!cmd) {
                        return next(command, args);
                    }
                    const uri = typeof args[0] === 'string' ? vscode.Uri.parse(args[0]) : undefined;
                    return this.track(cmd, uri, async () => next(command, args));
                },
                provideCodeLenses: async (document, token, next) => {
                    const lenses = await next(document, token);
                    if (this.target && document.uri.toString() === this.target.toString()) {
                        this.info = statusFromLenses(lenses ?? []);
                        this.render();
                    }
                    return lenses;
                },
            },
        };
        const client = new LanguageClient('devc', 'devc', serverOptions, clientOptions);
        client.onDidChangeState((e) => {
            if (e.newState === State.Stopped && this.client === client) {
                this.info = undefined;
                this.render();
            }
        });
        try {
            await client.start();
        } catch (e) {
            this.missing = `devc lsp (${resolution.path}) did not start: ${errorText(e)}`;
            this.output.appendLine(`[devc] ${this.missing}`);
            this.render();
            void vscode.window.showErrorMessage(this.missing, 'Show Output').then((c) => c && this.output.show(true));
            client.dispose().catch(() => undefined);
            return undefined;
        }
        this.client = client;
        this.render();
        void this.refresh();
        return client;
    }

    async stopClient(): Promise<void> {
        const client = this.client;
        this.client = undefined;
        this.published.clear();
        if (client) {
            try {
                await client.dispose();
            } catch (e) {
                this.output.appendLine(`[devc] stopping the language server: ${errorText(e)}`);
            }
        }
    }

    private async restart(): Promise<void> {
        this.missingShown = false;
        await this.stopClient();
        const client = await this.ensureClient();
        if (!client && this.missing) {
            await this.reportMissing(true);
        }
    }

    /** Says devc is missing, with the way out: the README's install section, or the setting. */
    private async reportMissing(force: boolean, message = this.missing): Promise<void> {
        if (!message || (this.missingShown && !force)) {
            return;
        }
        this.missingShown = true;
        const choice = await vscode.window.showErrorMessage(message, 'Install', 'Open Settings');
        if (choice === 'Install') {
            await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(this.context.extensionUri, 'README.md'));
        } else if (choice === 'Open Settings') {
            await vscode.commands.executeCommand('workbench.action.openSettings', 'devc.path');
        }
    }

    // ---- diagnostics ----------------------------------------------------------

    private filterDiagnostics(uri: vscode.Uri, diagnostics: vscode.Diagnostic[]): vscode.Diagnostic[] {
        const mode = vscode.workspace.getConfiguration('devc', uri).get<OverlapMode>('diagnostics.overlapWithBuiltin', 'hideDuplicates');
        const json = vscode.workspace.getConfiguration('json', uri);
        const builtin: BuiltinJson = {
            extensionEnabled: vscode.extensions.getExtension(JSON_EXTENSION) !== undefined,
            validate: json.get<boolean>('validate.enable', true),
            schemaDownload: json.get<boolean>('schemaDownload.enable', true),
        };
        return filterDiagnostics(diagnostics, mode, builtin);
    }

    private refilterDiagnostics(): void {
        const collection = this.client?.diagnostics;
        if (!collection) {
            return;
        }
        for (const [key, diagnostics] of this.published) {
            const uri = vscode.Uri.parse(key);
            collection.set(uri, this.filterDiagnostics(uri, diagnostics));
        }
    }

    private onConfigurationChanged(e: vscode.ConfigurationChangeEvent): void {
        if (e.affectsConfiguration('devc.path')) {
            void this.restart();
        }
        if (e.affectsConfiguration('devc.diagnostics') || e.affectsConfiguration('json.validate') || e.affectsConfiguration('json.schemaDownload')) {
            this.refilterDiagnostics();
        }
        if (e.affectsConfiguration('devc.statusBar')) {
            this.restartTimer();
            this.render();
        }
    }

    // ---- commands -------------------------------------------------------------

    /** A palette (or explorer menu, or status menu) command: `uri` when the caller names the file. */
    private async runFromPalette(cmd: ContainerCommand, uri?: vscode.Uri): Promise<void> {
        const target = uri instanceof vscode.Uri && uri.scheme === 'file' && isDevcontainerPath(uri.fsPath) ? uri : await this.pickTarget(cmd.title);
        if (!target) {
            return;
        }
        const client = await this.ensureClient();
        if (!client) {
            await this.reportMissing(true);
            return;
        }
        await this.track(cmd, target, () => client.sendRequest(ExecuteCommandRequest.type, executeParams(cmd, client.code2ProtocolConverter.asUri(target))));
    }

    private async pickTarget(title: string): Promise<vscode.Uri | undefined> {
        const active = vscode.window.activeTextEditor?.document.uri;
        const found = await this.findConfigs();
        const choice = chooseTarget(active?.scheme === 'file' ? active.fsPath : undefined, found.map((u) => u.fsPath));
        if (choice.kind === 'none') {
            void vscode.window.showWarningMessage(
                'No devcontainer.json in this workspace (devc looks for .devcontainer.json, .devcontainer/devcontainer.json and .devcontainer/<name>/devcontainer.json). Open one, or create one first.',
            );
            return undefined;
        }
        if (choice.kind === 'one') {
            return vscode.Uri.file(choice.path);
        }
        const picked = await vscode.window.showQuickPick(
            choice.paths.map((p) => ({ label: configLabel(p, this.folderPath(vscode.Uri.file(p))), description: p, path: p })),
            { placeHolder: `Dev container ${title}: which configuration?` },
        );
        return picked ? vscode.Uri.file(picked.path) : undefined;
    }

    /** Runs a container command with the status bar showing it, then reads the new state. */
    private async track(cmd: ContainerCommand, uri: vscode.Uri | undefined, run: () => Promise<unknown>): Promise<unknown> {
        if (cmd.runsWorkspaceCode && !vscode.workspace.isTrusted) {
            const choice = await vscode.window.showWarningMessage(
                `Dev container ${cmd.title} builds and runs what the configuration says (initializeCommand runs on this machine): trust this workspace first.`,
                'Manage Workspace Trust',
            );
            if (choice) {
                await vscode.commands.executeCommand('workbench.trust.manage');
            }
            return undefined;
        }
        if (uri) {
            this.setTarget(uri, false);
        }
        this.busy = cmd.title;
        this.render();
        try {
            const result = await run();
            const outcome = interpretResult(cmd, result);
            if (outcome.ok) {
                vscode.window.setStatusBarMessage(`$(check) ${outcome.message}`, 8000);
                if (cmd.serverId === 'devcontainer.showLog') {
                    this.output.show(true);
                }
            } else if (!outcome.shown) {
                void vscode.window.showErrorMessage(outcome.message);
            }
            return result;
        } catch (e) {
            void vscode.window.showErrorMessage(`Dev container ${cmd.title}: ${errorText(e)}`);
            return undefined;
        } finally {
            this.busy = undefined;
            this.render();
            void this.refresh();
        }
    }

    private async showActions(): Promise<void> {
        if (this.missing) {
            await this.reportMissing(true);
            return;
        }
        type Item = vscode.QuickPickItem & { run: () => unknown };
        const target = this.target;
        const items: Item[] = CONTAINER_COMMANDS.map((c) => ({ label: c.title, run: () => vscode.commands.executeCommand(c.clientId, target) }));
        items.push(
            { label: '', kind: vscode.QuickPickItemKind.Separator, run: () => undefined },
            { label: '$(refresh) Refresh status', run: () => this.refresh() },
            { label: '$(go-to-file) Open devcontainer.json', run: () => target && vscode.window.showTextDocument(target) },
            { label: '$(output) Show devc output', run: () => this.output.show(true) },
            { label: '$(debug-restart) Restart the devc language server', run: () => this.restart() },
        );
        const label = target ? configLabel(target.fsPath, this.folderPath(target)) : undefined;
        const picked = await vscode.window.showQuickPick(items, { placeHolder: label ? `Dev container: ${label}` : 'Dev container' });
        await picked?.run();
    }

    // ---- status bar -------------------------------------------------------------

    private setTarget(uri: vscode.Uri, refresh = true): void {
        if (this.target?.toString() === uri.toString()) {
            return;
        }
        this.target = uri;
        this.info = undefined;
        this.render();
        if (refresh) {
            void this.refresh();
        }
    }

    private render(): void {
        const enabled = vscode.workspace.getConfiguration('devc').get<boolean>('statusBar.enabled', true);
        if (!enabled || (!this.target && !this.missing)) {
            this.item.hide();
            return;
        }
        this.item.command = OTHER_COMMANDS.showActions;
        if (this.missing) {
            this.item.text = '$(error) devc: not available';
            this.item.tooltip = this.missing;
            this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
            this.item.show();
            return;
        }
        const label = this.target ? configLabel(this.target.fsPath, this.folderPath(this.target)) : undefined;
        const view = statusView(this.client ? this.info : undefined, { busy: this.busy, configName: label });
        this.item.text = view.text;
        this.item.tooltip = view.tooltip;
        this.item.backgroundColor = view.level === 'warning' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
        this.item.show();
    }

    /** Asks the server for the target's code lenses, whose first one is the container state. */
    private async refresh(): Promise<void> {
        const client = this.client;
        const target = this.target;
        if (!client || client.state !== State.Running || !target || this.busy) {
            return;
        }
        if (this.refreshing) {
            this.refreshAgain = true;
            return;
        }
        this.refreshing = true;
        this.refreshAgain = false;
        try {
            // The server answers for open documents only; opening (without showing) sends didOpen.
            await vscode.workspace.openTextDocument(target);
            const params = { textDocument: { uri: client.code2ProtocolConverter.asUri(target) } };
            let lenses = await client.sendRequest(CodeLensRequest.type, params);
            if (!lenses) {
                await delay(300); // didOpen may still be on its way
                lenses = await client.sendRequest(CodeLensRequest.type, params);
            }
            if (this.target?.toString() === target.toString()) {
                this.info = statusFromLenses(lenses);
                this.render();
            }
        } catch (e) {
            this.output.appendLine(`[devc] reading the container state of ${target.fsPath}: ${errorText(e)}`);
            if (!fs.existsSync(target.fsPath) && this.target?.toString() === target.toString()) {
                this.target = undefined; // deleted: show another configuration, if any
                this.info = undefined;
                this.render();
                void this.discover();
            }
        } finally {
            this.refreshing = false;
        }
        if (this.refreshAgain) {
            void this.refresh();
        }
    }

    private restartTimer(): void {
        this.stopTimer();
        const seconds = vscode.workspace.getConfiguration('devc').get<number>('statusBar.refreshSeconds', 30);
        if (seconds > 0) {
            this.timer = setInterval(() => {
                if (vscode.window.state.focused) {
                    void this.refresh();
                }
            }, Math.max(5, seconds) * 1000);
        }
    }

    private stopTimer(): void {
        if (this.timer) {
            clearInterval(this.timer);
            this.timer = undefined;
        }
    }

    // ---- debugging --------------------------------------------------------------

    private registerDebugger(): void {
        this.context.subscriptions.push(
            vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, {
                resolveDebugConfiguration: async (folder, config) => {
                    const folderPath = folder?.uri.scheme === 'file' ? folder.uri.fsPath : this.folderPath();
                    const resolved = resolveLaunch(config as LaunchConfig, folderPath);
                    if (resolved.kind === 'ready') {
                        return resolved.config as vscode.DebugConfiguration;
                    }
                    const command = await vscode.window.showInputBox({
                        title: 'Run in dev container',
                        prompt: 'Command to run in the dev container (with /bin/sh -c). Add a launch.json configuration of type "devcontainer" to keep it.',
                        value: 'npm start',
                        ignoreFocusOut: true,
                    });
                    if (!command) {
                        return undefined; // cancels the launch
                    }
                    const again = resolveLaunch(defaultConfiguration(command), folderPath);
                    return again.kind === 'ready' ? (again.config as vscode.DebugConfiguration) : undefined;
                },
            }),
            vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
                createDebugAdapterDescriptor: (session) => {
                    const folder = session.workspaceFolder?.uri.scheme === 'file' ? session.workspaceFolder.uri.fsPath : this.folderPath();
                    const resolution = this.resolve(folder);
                    if (!resolution.ok) {
                        void this.reportMissing(true, resolution.message);
                        throw new Error(resolution.message);
                    }
                    const runtime = vscode.workspace.getConfiguration('devc', session.workspaceFolder).get<string>('debug.runtime', 'auto');
                    return new vscode.DebugAdapterExecutable(resolution.path, dapArgs(runtime), folder ? { cwd: folder } : undefined);
                },
            }),
            vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => this.onCustomEvent(e)),
        );
    }

    private async onCustomEvent(e: vscode.DebugSessionCustomEvent): Promise<void> {
        if (e.session.type !== DEBUG_TYPE || e.event !== READY_EVENT) {
            return;
        }
        const action = readyAction(e.body, { hasServerReadyAction: e.session.configuration.serverReadyAction !== undefined });
        vscode.window.setStatusBarMessage(`$(check) ${action.message}`, 10000);
        if (action.kind !== 'open') {
            return;
        }
        try {
            // Through the editor's port forwarding when it runs remotely.
            const external = await vscode.env.asExternalUri(vscode.Uri.parse(action.uri, true));
            if (!(await vscode.env.openExternal(external))) {
                void vscode.window.showWarningMessage(`${action.message}; the editor did not open it.`);
            }
        } catch (err) {
            void vscode.window.showWarningMessage(`${action.message}; opening it failed: ${errorText(err)}`);
        }
    }
}
