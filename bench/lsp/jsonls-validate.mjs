// Validates the same devcontainer.json with vscode-json-languageservice (the
// engine of VS Code's JSON support) against devc's schema, and reports the mean
// time per parse+validate, for a side-by-side ratio with devc's criterion bench.
// Usage: node jsonls-validate.mjs <schema.json> <devcontainer.json> [iterations]
import { readFileSync } from 'node:fs';
import { getLanguageService } from 'vscode-json-languageservice';
import { TextDocument } from 'vscode-languageserver-textdocument';

const [schemaPath, file, itersArg] = process.argv.slice(2);
const iterations = Number(itersArg ?? 2000);
const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
const text = readFileSync(file, 'utf8');
const ls = getLanguageService({});
ls.configure({ validate: true, allowComments: true, schemas: [{ uri: 'devc://schema', fileMatch: ['*.json'], schema }] });
const doc = TextDocument.create('file:///w/.devcontainer/devcontainer.json', 'jsonc', 1, text);
const run = async () => {
  const json = ls.parseJSONDocument(doc);
  return ls.doValidation(doc, json, { comments: 'ignore', trailingCommas: 'ignore' });
};
for (let i = 0; i < 200; i++) await run(); // warm up the JIT
const t0 = process.hrtime.bigint();
let count = 0;
for (let i = 0; i < iterations; i++) count += (await run()).length;
const us = Number(process.hrtime.bigint() - t0) / 1e3 / iterations;
console.log(JSON.stringify({ iterations, usPerValidation: us, diagnostics: count / iterations }));
