// Drives `devc lsp` through vscode-languageserver-protocol (vscode-jsonrpc
// underneath): initialize → didOpen a broken devcontainer.json →
// publishDiagnostics → completion → hover → shutdown/exit.
// Usage: node client.mjs <devc binary> <workspace dir>. Exit code 0 = pass.
import { spawn } from 'node:child_process';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection, StreamMessageReader, StreamMessageWriter,
  InitializeRequest, InitializedNotification, DidOpenTextDocumentNotification,
  PublishDiagnosticsNotification, CompletionRequest, HoverRequest, ShutdownRequest, ExitNotification,
} from 'vscode-languageserver-protocol/node';

const [devc, ws] = process.argv.slice(2);
const fail = (msg) => { console.error(`FAIL: ${msg}`); process.exit(1); };
mkdirSync(join(ws, '.devcontainer'), { recursive: true });
const file = join(ws, '.devcontainer', 'devcontainer.json');
const text = '{\n  "image": "alpine",\n  "forwardPorts": [true],\n  "remoteuser": "dev"\n}\n';
writeFileSync(file, text);
const uri = pathToFileURL(file).href;

const child = spawn(devc, ['lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
const diagnostics = new Promise((resolve) => {
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => { if (p.uri === uri) resolve(p); });
});
conn.listen();
const timer = setTimeout(() => fail('timeout'), 20000);

const init = await conn.sendRequest(InitializeRequest.type, {
  processId: process.pid, rootUri: pathToFileURL(ws).href,
  capabilities: { textDocument: { completion: { completionItem: { snippetSupport: true } }, hover: { contentFormat: ['markdown'] } } },
});
if (init.capabilities.positionEncoding !== 'utf-16') fail(`positionEncoding ${init.capabilities.positionEncoding}`);
if (!init.capabilities.executeCommandProvider?.commands?.includes('devcontainer.up')) fail('devcontainer.up not announced');
await conn.sendNotification(InitializedNotification.type, {});
await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'jsonc', version: 1, text } });

const diags = (await diagnostics).diagnostics;
const at = (line, ch) => diags.find((d) => d.range.start.line === line && d.range.start.character === ch);
const ports = at(2, 19);
if (!ports || ports.severity !== 1 || !ports.message.includes('port number')) fail(`forwardPorts diagnostic: ${JSON.stringify(diags)}`);
const unknown = at(3, 2);
if (!unknown || unknown.severity !== 2 || !unknown.message.includes('remoteUser')) fail(`unknown property diagnostic: ${JSON.stringify(diags)}`);

const completion = await conn.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: { line: 1, character: 2 } });
const items = Array.isArray(completion) ? completion : completion.items;
if (!items.some((i) => i.label === 'remoteUser')) fail('completion lacks remoteUser');

const hover = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 1, character: 4 } });
const contents = JSON.stringify(hover?.contents ?? '');
if (!contents.toLowerCase().includes('image')) fail(`hover: ${contents}`);

await conn.sendRequest(ShutdownRequest.type);
await conn.sendNotification(ExitNotification.type);
child.on('exit', (code) => {
  clearTimeout(timer);
  if (code !== 0) fail(`exit code ${code}`);
  console.log('PASS');
  process.exit(0);
});
