#!/usr/bin/env node
// Writes the `devcontainer` debugger's launch attributes, initial configurations
// and snippets into package.json from their sources (schemas/dap-launch.schema.json
// and src/launchConfig.ts). Run `npm run sync-schema` after changing either;
// the unit tests fail while package.json is out of date.
'use strict';
const fs = require('fs');
const path = require('path');
const { launchAttributes } = require('../out/src/launchSchema');
const { DEBUG_TYPE, initialConfigurations, configurationSnippets } = require('../out/src/launchConfig');

const root = path.join(__dirname, '..');
const schemaFile = path.join(root, '..', '..', 'schemas', 'dap-launch.schema.json');
const pkgFile = path.join(root, 'package.json');
const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));
const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
const debuggers = pkg.contributes && pkg.contributes.debuggers;
const dbg = debuggers && debuggers.find((d) => d.type === DEBUG_TYPE);
if (!dbg) {
    console.error(`package.json has no contributes.debuggers entry of type ${DEBUG_TYPE}`);
    process.exit(1);
}
dbg.configurationAttributes = { launch: launchAttributes(schema) };
dbg.initialConfigurations = initialConfigurations();
dbg.configurationSnippets = configurationSnippets();
fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
console.log(`updated ${path.relative(process.cwd(), pkgFile)} from ${path.relative(process.cwd(), schemaFile)}`);
