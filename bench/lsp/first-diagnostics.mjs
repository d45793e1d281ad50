// Spawns `devc lsp`, opens a devcontainer.json and measures the time from spawn
// to the first textDocument/publishDiagnostics, then the server's idle RSS.
// Usage: node first-diagnostics.mjs <devc binary> <devcontainer.json> [runs]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [devc, file, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 20);
const text = readFileSync(file, 'utf8');
const uri = pathToFileURL(file).href;

function frame(msg) {
  const body = Buffer.from(JSON.stringify(msg), 'utf8');
  return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
}

function once() {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(devc, ['lsp'], { stdio: ['pipe', 'pipe', 'ignore'] });
    let buf = Buffer.alloc(0);
    let done = false;
    const timer = setTimeout(() => { child.kill(); reject(new Error('timeout')); }, 10000);
    child.stdout.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const sep = buf.indexOf('\r\n\r\n');
        if (sep < 0) return;
        const m = /Content-Length: (\d+)/i.exec(buf.subarray(0, sep).toString());
        const len = Number(m[1]);
        if (buf.length < sep + 4 + len) return;
        const msg = JSON.parse(buf.subarray(sep + 4, sep + 4 + len).toString('utf8'));
        buf = buf.subarray(sep + 4 + len);
        if (msg.id === 1 && !done) {
          child.stdin.write(frame({ jsonrpc: '2.0', method: 'initialized', params: {} }));
          child.stdin.write(frame({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'jsonc', version: 1, text } } }));
        }
        if (msg.method === 'textDocument/publishDiagnostics' && !done) {
          done = true;
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          setTimeout(() => {
            let rss = 0;
            try {
              const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
              rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
            } catch { /* not Linux */ }
            clearTimeout(timer);
            child.stdin.write(frame({ jsonrpc: '2.0', id: 2, method: 'shutdown' }));
            child.stdin.write(frame({ jsonrpc: '2.0', method: 'exit' }));
            child.on('exit', () => resolve({ ms, rss }));
          }, 300);
        }
      }
    });
    child.stdin.write(frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: process.pid, rootUri: null, capabilities: {} } }));
  });
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const ms = results.map((r) => r.ms).sort((a, b) => a - b);
const rss = results.map((r) => r.rss).sort((a, b) => a - b);
const median = (a) => a[Math.floor(a.length / 2)];
console.log(JSON.stringify({ runs, firstDiagnosticsMsMedian: median(ms), firstDiagnosticsMsMin: ms[0], idleRssMiBMedian: median(rss) }));
