import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { configurationSnippets, DEBUG_TYPE, initialConfigurations, READY_PATTERN } from '../src/launchConfig';
import { EDITOR_OWNED_PROPERTIES, findRefs, inlineRefs, JsonObject, launchAttributes } from '../src/launchSchema';
import { packageJson, readJson, REPO_DIR } from './helpers';

const schema = (): JsonObject => readJson(path.join(REPO_DIR, 'schemas', 'dap-launch.schema.json'));

function debuggerContribution(): any {
    const debuggers = packageJson().contributes.debuggers;
    assert.equal(debuggers.length, 1);
    assert.equal(debuggers[0].type, DEBUG_TYPE);
    return debuggers[0];
}

test('package.json launch attributes are generated from schemas/dap-launch.schema.json (run `npm run sync-schema` when this fails)', () => {
    assert.deepEqual(debuggerContribution().configurationAttributes, { launch: launchAttributes(schema()) });
});

test('package.json initial configurations and snippets come from src/launchConfig.ts (run `npm run sync-schema` when this fails)', () => {
    const dbg = debuggerContribution();
    assert.deepEqual(dbg.initialConfigurations, initialConfigurations());
    assert.deepEqual(dbg.configurationSnippets, configurationSnippets());
});

test('every launch argument of the schema is offered, except the ones VS Code defines', () => {
    const attrs = launchAttributes(schema()) as any;
    const expected = Object.keys((schema() as any).properties).filter((k) => !EDITOR_OWNED_PROPERTIES.includes(k));
    assert.deepEqual(Object.keys(attrs.properties), expected);
    assert.ok(expected.includes('command') && expected.includes('readiness') && expected.includes('workspaceFolder'));
    // "command or program" stays a rule of the attributes.
    assert.deepEqual(attrs.anyOf, [{ required: ['command'] }, { required: ['program'] }]);
    for (const key of ['$schema', 'title', 'definitions', 'type']) {
        assert.ok(!(key in attrs), `${key} must not be in the attributes`);
    }
});

test('no $ref is left: VS Code copies the attributes into its own launch.json schema', () => {
    const attrs = launchAttributes(schema());
    assert.deepEqual(findRefs(attrs), []);
    const readiness = (attrs as any).properties.readiness;
    assert.equal(readiness.type, 'object');
    assert.equal(readiness.additionalProperties, false);
    assert.deepEqual(readiness.properties.action.enum, ['notify', 'openExternally']);
    assert.deepEqual(readiness.properties.probe.properties.httpGet.properties.port, { type: 'integer', minimum: 1, maximum: 65535 });
    // A sibling next to a $ref keeps its own value.
    assert.equal(readiness.properties.initialDelaySeconds.description, 'Wait before the first probe.');
    assert.equal(readiness.properties.initialDelaySeconds.minimum, 0);
});

test('inlining: siblings win, cycles and dangling pointers are errors', () => {
    const root: JsonObject = { definitions: { a: { type: 'string', description: 'from a' }, loop: { $ref: '#/definitions/loop' } } };
    assert.deepEqual(inlineRefs({ $ref: '#/definitions/a', description: 'mine' }, root), { type: 'string', description: 'mine' });
    assert.throws(() => inlineRefs({ $ref: '#/definitions/loop' }, root), /cycle/);
    assert.throws(() => inlineRefs({ $ref: '#/definitions/nope' }, root), /does not resolve/);
    assert.throws(() => inlineRefs({ $ref: 'https://example.com/s.json' }, root), /only local/);
    assert.throws(() => launchAttributes({ type: 'object' }), /no "properties"/);
});

/** What VS Code does with configurationAttributes (debugger.ts getSchemaAttributes), for the checks below. */
function asVsCodeSees(attrs: JsonObject): any {
    const a: any = structuredClone(attrs);
    a.required = ['name', 'type', 'request', ...(a.required ?? [])];
    a.additionalProperties = false;
    a.type = 'object';
    a.properties.type = { enum: [DEBUG_TYPE] };
    a.properties.name = { type: 'string' };
    a.properties.request = { enum: ['launch'] };
    return a;
}

/** Keys of `config` the schema does not know (a tiny check of properties and enums). */
function unknownKeys(config: any, node: any, at = ''): string[] {
    const out: string[] = [];
    for (const [k, v] of Object.entries(config)) {
        const prop = node.properties?.[k];
        if (!prop) {
            if (node.additionalProperties === false) {
                out.push(`${at}${k}`);
            }
            continue;
        }
        if (prop.enum && !prop.enum.includes(v)) {
            out.push(`${at}${k}=${String(v)}`);
        }
        if (typeof v === 'object' && v !== null && !Array.isArray(v) && prop.properties) {
            out.push(...unknownKeys(v, prop, `${at}${k}.`));
        }
    }
    return out;
}

/** A snippet body as VS Code inserts it with the defaults accepted: `^"…"` unquoted, `${n:x}` → x, `\\` → `\`. */
function insertSnippet(body: unknown): any {
    const replacer = (_k: string, v: unknown) => v;
    let text = JSON.stringify(body, replacer);
    text = text.replace(/"\^((?:[^"\\]|\\.)*)"/g, (_m, raw: string) => raw);
    text = text.replace(/\$\{\d+:([^}]*)\}/g, '$1').replace(/\\\\/g, '\\');
    return JSON.parse(text);
}

test('initial configurations and snippets are valid launch configurations', () => {
    const attrs = asVsCodeSees(launchAttributes(schema()));
    const configs = [...initialConfigurations(), ...configurationSnippets().map((s) => insertSnippet(s.body))];
    assert.equal(configs.length, 4);
    for (const c of configs) {
        assert.deepEqual(unknownKeys(c, attrs), [], JSON.stringify(c));
        for (const r of attrs.required) {
            assert.ok(r in c, `${r} missing in ${JSON.stringify(c)}`);
        }
        assert.ok('command' in c || 'program' in c);
        assert.equal(c.type, DEBUG_TYPE);
    }
    // The readiness pattern survives snippet escaping unchanged.
    assert.equal(insertSnippet(configurationSnippets()[1].body).readiness.pattern, READY_PATTERN);
    assert.equal(insertSnippet(configurationSnippets()[2].body).readiness.probe.httpGet.port, 3000);
    assert.equal(READY_PATTERN, (schema() as any).definitions.readiness.properties.pattern.default);
});
