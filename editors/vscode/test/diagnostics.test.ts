import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { BuiltinJson, coveredByBuiltin, DEVC_ONLY_CODES, DiagnosticLike, filterDiagnostics, SCHEMA_CODES, SYNTAX_CODES } from '../src/diagnostics';
import { repoFile } from './helpers';

const on: BuiltinJson = { extensionEnabled: true, validate: true, schemaDownload: true };
const d = (code: string, message = 'm', source = 'devc'): DiagnosticLike => ({ code, message, source });

test('every code devc emits is classified (server/config/src/diagnose.rs DiagnosticCode::name)', () => {
    const src = repoFile('server', 'config', 'src', 'diagnose.rs');
    const body = src.slice(src.indexOf('pub fn name(self)'));
    const codes = [...body.slice(0, body.indexOf('\n    }\n')).matchAll(/=> "([a-z-]+)"\.into\(\)/g)].map((m) => m[1]);
    assert.ok(codes.length >= 10, `found ${codes.join(', ')}`);
    const classified = [...SYNTAX_CODES, ...SCHEMA_CODES, ...DEVC_ONLY_CODES];
    assert.deepEqual([...codes].sort(), [...classified].sort());
});

test('with the built-in validation on, only devc-specific findings stay', () => {
    const all = [...SYNTAX_CODES, ...SCHEMA_CODES, ...DEVC_ONLY_CODES].map((c) => d(c));
    assert.deepEqual(filterDiagnostics(all, 'hideDuplicates', on).map((x) => x.code), DEVC_ONLY_CODES);
});

test("devc's 'no container source' hint stays: VS Code has no such message", () => {
    const hint = d('missing-property', 'no container source: set "image" (a prebuilt image), "build" (a Dockerfile) or "dockerComposeFile" (Docker Compose)');
    assert.equal(coveredByBuiltin(hint, on), false);
    assert.equal(coveredByBuiltin(d('missing-property', 'missing property "dockerComposeFile"'), on), true);
});

test('without schema download VS Code cannot check the schema: schema findings stay, syntax ones go', () => {
    const off = { ...on, schemaDownload: false };
    assert.equal(coveredByBuiltin(d('unknown-property'), off), false);
    assert.equal(coveredByBuiltin(d('syntax'), off), true);
    assert.equal(coveredByBuiltin(d('duplicate-key'), off), true);
});

test('with JSON validation off, or the JSON extension disabled, everything stays', () => {
    const all = [...SYNTAX_CODES, ...SCHEMA_CODES, ...DEVC_ONLY_CODES].map((c) => d(c));
    assert.equal(filterDiagnostics(all, 'hideDuplicates', { ...on, validate: false }).length, all.length);
    assert.equal(filterDiagnostics(all, 'hideDuplicates', { ...on, extensionEnabled: false }).length, all.length);
    assert.equal(filterDiagnostics(all, 'showAll', on).length, all.length);
});

test("other sources, missing codes and object codes", () => {
    assert.equal(coveredByBuiltin(d('syntax', 'm', 'json'), on), false);
    assert.equal(coveredByBuiltin({ message: 'm', source: 'devc' }, on), false);
    assert.equal(coveredByBuiltin({ code: { value: 'schema' }, message: 'm', source: 'devc' }, on), true);
    assert.equal(coveredByBuiltin({ code: 42, message: 'm', source: 'devc' }, on), false);
});
