/**
 * The container state for the status bar, read from the server's code lenses
 * (the server has no status request; its first lens on a devcontainer.json is
 * "Dev container: running since …", "… stopped", "… not created" or
 * "… Docker not available (…)", and "Config changed since last up → Rebuild"
 * follows when the config changed since `up`).
 */

export type ContainerState = 'running' | 'stopped' | 'notCreated' | 'unavailable' | 'other' | 'unknown';

export interface StatusInfo {
    state: ContainerState;
    /** "since 2026-…", the engine's state name, or why Docker is not available. */
    detail?: string;
    configChanged: boolean;
}

/** The shape shared by protocol code lenses and vscode.CodeLens. */
export interface LensLike {
    command?: { title: string; command: string } | null;
}

const PREFIX = 'Dev container: ';

export function statusFromLenses(lenses: readonly LensLike[] | null | undefined): StatusInfo {
    const info: StatusInfo = { state: 'unknown', configChanged: false };
    for (const lens of lenses ?? []) {
        const title = lens.command?.title ?? '';
        const command = lens.command?.command ?? '';
        if (command === 'devcontainer.rebuild' && /config changed/i.test(title)) {
            info.configChanged = true;
        }
        if (info.state !== 'unknown' || command !== 'devcontainer.showLog' || !title.startsWith(PREFIX)) {
            continue;
        }
        const rest = title.slice(PREFIX.length).trim();
        if (rest.startsWith('running')) {
            info.state = 'running';
            const since = rest.slice('running'.length).trim();
            if (since) {
                info.detail = since;
            }
        } else if (rest === 'stopped') {
            info.state = 'stopped';
        } else if (rest === 'not created') {
            info.state = 'notCreated';
        } else if (rest.startsWith('Docker not available')) {
            info.state = 'unavailable';
            const m = /\((.*)\)\s*$/.exec(rest);
            if (m) {
                info.detail = m[1];
            }
        } else if (rest !== '') {
            info.state = 'other';
            info.detail = rest;
        }
    }
    return info;
}

export interface StatusView {
    text: string;
    tooltip: string;
    /** Background color: warning when the config changed since Up or no container runtime answers. */
    level: 'normal' | 'warning';
}

/** Status bar text; `busy` is the title of a running command ("Up", "Rebuild", …). */
export function statusView(info: StatusInfo | undefined, opts: { busy?: string; configName?: string } = {}): StatusView {
    const where = opts.configName ? ` (${opts.configName})` : '';
    const actions = 'Click for Up / Rebuild / Stop / Down.';
    if (opts.busy) {
        return { text: `$(sync~spin) Dev container: ${opts.busy}…`, tooltip: `devc is running ${opts.busy}${where}. Progress shows in a notification; cancel it there.`, level: 'normal' };
    }
    if (!info) {
        return { text: '$(vm-outline) Dev container', tooltip: `Dev container state not known yet${where}. ${actions}`, level: 'normal' };
    }
    const changed = info.configChanged ? ' $(warning)' : '';
    const changedTip = info.configChanged ? ' The configuration changed since the last Up: Rebuild to apply it.' : '';
    const level = info.configChanged ? 'warning' : 'normal';
    switch (info.state) {
        case 'running':
            return { text: `$(vm-running) Dev container: running${changed}`, tooltip: `Running${info.detail ? ` ${info.detail}` : ''}${where}.${changedTip} ${actions}`, level };
        case 'stopped':
            return { text: `$(vm-outline) Dev container: stopped${changed}`, tooltip: `Stopped${where}.${changedTip} ${actions}`, level };
        case 'notCreated':
            return { text: '$(vm-outline) Dev container: not created', tooltip: `No container yet${where}: run Up. ${actions}`, level: 'normal' };
        case 'unavailable':
            return { text: '$(vm-outline) Dev container: no Docker', tooltip: `Docker (or Podman) is not available${info.detail ? `: ${info.detail}` : ''}. Start it, then choose Refresh status in this item's menu.`, level: 'warning' };
        case 'other':
            return { text: `$(vm-outline) Dev container: ${info.detail ?? 'unknown'}${changed}`, tooltip: `Container state: ${info.detail ?? 'unknown'}${where}.${changedTip} ${actions}`, level };
        default:
            return { text: '$(vm-outline) Dev container', tooltip: `devc did not report the container state${where}. ${actions}`, level: 'normal' };
    }
}
