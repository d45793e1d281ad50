/**
 * What to do with the adapter's `devcontainer/ready` custom event
 * ({uri, port, elapsedMs, action}): open the URI in the browser when the
 * launch configuration asked for `openExternally`, else just say it is ready.
 */

export const READY_EVENT = 'devcontainer/ready';

export type ReadyAction =
    | { kind: 'open'; uri: string; message: string }
    | { kind: 'notify'; message: string };

export interface ReadyContext {
    /** The launch configuration also has VS Code's own `serverReadyAction`, which opens the URI itself. */
    hasServerReadyAction: boolean;
}

function seconds(ms: unknown): string | undefined {
    return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? `${(ms / 1000).toFixed(1)} s` : undefined;
}

/** Only web URIs leave the editor: the URI is built from the process's output. */
export function isWebUri(uri: string): boolean {
    try {
        const u = new URL(uri);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
    } catch {
        return false;
    }
}

export function readyAction(body: unknown, ctx: ReadyContext): ReadyAction {
    const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const uri = typeof b.uri === 'string' && b.uri !== '' ? b.uri : undefined;
    const port = typeof b.port === 'number' ? b.port : undefined;
    const after = seconds(b.elapsedMs);
    const what = uri ?? (port !== undefined ? `port ${port}` : undefined);
    const message = `Dev container process ready${what ? `: ${what}` : ''}${after ? ` (after ${after})` : ''}`;
    if (b.action !== 'openExternally') {
        return { kind: 'notify', message };
    }
    if (ctx.hasServerReadyAction) {
        return { kind: 'notify', message: `${message}; serverReadyAction in the launch configuration opens it` };
    }
    if (!uri) {
        return { kind: 'notify', message: `${message}; nothing to open (no URI: set readiness.pattern or readiness.uriFormat)` };
    }
    if (!isWebUri(uri)) {
        return { kind: 'notify', message: `${message}; not opened: only http and https URIs are opened` };
    }
    return { kind: 'open', uri, message };
}
