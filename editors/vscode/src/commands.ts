/**
 * The container commands: the palette ids this extension registers (`devc.*`)
 * and the server's `workspace/executeCommand` ids they are routed to
 * (`devcontainer.*`, registered by vscode-languageclient from the server's
 * executeCommandProvider, and used by the server's code lenses).
 */

export interface ContainerCommand {
    /** Registered by this extension, shown in the Command Palette. */
    clientId: string;
    /** The server's command (server/lsp/src/commands.rs). */
    serverId: string;
    title: string;
    /** Runs the configuration's own commands (build, initializeCommand on this machine, lifecycle hooks): needs a trusted workspace. */
    runsWorkspaceCode: boolean;
}

export const CONTAINER_COMMANDS: readonly ContainerCommand[] = [
    { clientId: 'devc.up', serverId: 'devcontainer.up', title: 'Up', runsWorkspaceCode: true },
    { clientId: 'devc.rebuild', serverId: 'devcontainer.rebuild', title: 'Rebuild', runsWorkspaceCode: true },
    { clientId: 'devc.rebuildNoCache', serverId: 'devcontainer.rebuildNoCache', title: 'Rebuild without cache', runsWorkspaceCode: true },
    { clientId: 'devc.stop', serverId: 'devcontainer.stop', title: 'Stop', runsWorkspaceCode: false },
    { clientId: 'devc.down', serverId: 'devcontainer.down', title: 'Down', runsWorkspaceCode: false },
    { clientId: 'devc.showLog', serverId: 'devcontainer.showLog', title: 'Show container log', runsWorkspaceCode: false },
];

/** Client commands that are not container commands. */
export const OTHER_COMMANDS = {
    showActions: 'devc.showActions',
    restartServer: 'devc.restartServer',
    showOutput: 'devc.showOutput',
    refreshStatus: 'devc.refreshStatus',
} as const;

export function byClientId(id: string): ContainerCommand | undefined {
    return CONTAINER_COMMANDS.find((c) => c.clientId === id);
}

export function byServerId(id: string): ContainerCommand | undefined {
    return CONTAINER_COMMANDS.find((c) => c.serverId === id);
}

/** `workspace/executeCommand` params: the server wants the devcontainer.json URI first. */
export function executeParams(cmd: ContainerCommand, configUri: string): { command: string; arguments: string[] } {
    return { command: cmd.serverId, arguments: [configUri] };
}

export type Outcome =
    | { ok: true; message: string }
    /** `shown`: the server already told the user (window/showMessage), so don't repeat it. */
    | { ok: false; message: string; shown: boolean };

/** Reads the command's result (`{outcome: "success"|"error", …}`, as the CLI prints). */
export function interpretResult(cmd: ContainerCommand, result: unknown): Outcome {
    const r = typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : undefined;
    if (r?.outcome === 'success') {
        const id = typeof r.containerId === 'string' && r.containerId !== '' ? ` (container ${r.containerId.slice(0, 12)})` : '';
        return { ok: true, message: `Dev container: ${cmd.title} done${id}` };
    }
    if (r?.outcome === 'error') {
        const msg = typeof r.message === 'string' ? r.message : 'failed';
        return { ok: false, message: `Dev container: ${cmd.title} failed: ${msg}`, shown: true };
    }
    return { ok: false, message: `Dev container: ${cmd.title}: devc answered ${JSON.stringify(result)}, not a result object`, shown: false };
}
