/**
 * Launch configurations of the `devcontainer` debugger: the ones VS Code
 * offers (initial configurations, snippets) and the editor-side defaults filled
 * in before `devc dap` gets a launch request. Validation stays in the adapter
 * (schemas/dap-launch.schema.json); this only adds what only the editor knows.
 */

export const DEBUG_TYPE = 'devcontainer';

/** VS Code serverReadyAction's default pattern, as devc's readiness default. */
export const READY_PATTERN = 'listening on.* (https?://\\S+|[0-9]+)';

export interface LaunchConfig {
    type?: string;
    request?: string;
    name?: string;
    [key: string]: unknown;
}

/** The configuration that runs `command` in the dev container and opens its URI once it listens. */
export function defaultConfiguration(command: string): LaunchConfig {
    return {
        type: DEBUG_TYPE,
        request: 'launch',
        name: 'Run in dev container',
        command,
        readiness: { pattern: READY_PATTERN, action: 'openExternally' },
    };
}

/** launch.json's first content when the user picks "Dev container (devc)". */
export function initialConfigurations(): LaunchConfig[] {
    return [defaultConfiguration('npm start')];
}

export interface Snippet {
    label: string;
    description: string;
    body: LaunchConfig;
}

/** "Add Configuration…" entries. Bodies use VS Code snippet syntax (`^"…"` inserts unquoted). */
export function configurationSnippets(): Snippet[] {
    return [
        {
            label: 'Dev container: run a command',
            description: 'Runs a command in the workspace dev container (brought up first if needed).',
            body: { type: DEBUG_TYPE, request: 'launch', name: 'Run in dev container', command: '${1:npm start}' },
        },
        {
            label: 'Dev container: run a server and open it when ready',
            description: 'Runs a server in the dev container; when its output matches the pattern, opens the URI.',
            body: {
                type: DEBUG_TYPE,
                request: 'launch',
                name: 'Run server in dev container',
                command: '${1:npm start}',
                readiness: { pattern: READY_PATTERN.replace(/\\/g, '\\\\'), action: 'openExternally' },
            },
        },
        {
            label: 'Dev container: run a server with an HTTP readiness probe',
            description: 'Runs a server in the dev container and waits until an HTTP GET succeeds.',
            body: {
                type: DEBUG_TYPE,
                request: 'launch',
                name: 'Run server in dev container (probe)',
                command: '${1:npm start}',
                readiness: {
                    probe: { httpGet: { path: '${2:/}', port: '^${3:3000}' } },
                    periodSeconds: 1,
                    failureThreshold: 60,
                    uriFormat: 'http://localhost:%s',
                    action: 'openExternally',
                },
            },
        },
    ];
}

export type Resolved =
    | { kind: 'ready'; config: LaunchConfig }
    /** F5 without a launch.json: ask the user for the command, then use [defaultConfiguration]. */
    | { kind: 'askCommand' };

/**
 * What VS Code's `resolveDebugConfiguration` returns: an empty configuration
 * (no launch.json) needs a command from the user; otherwise `workspaceFolder`
 * defaults to the folder the configuration belongs to, since the adapter's
 * own default (its working directory) is not the project in VS Code.
 */
export function resolveLaunch(config: LaunchConfig, folderPath: string | undefined): Resolved {
    if (!config.type && !config.request && !config.name) {
        return { kind: 'askCommand' };
    }
    const out: LaunchConfig = { ...config };
    if (out.workspaceFolder === undefined && folderPath) {
        out.workspaceFolder = folderPath;
    }
    return { kind: 'ready', config: out };
}
