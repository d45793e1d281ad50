// Drives `devc dap` with @vscode/debugadapter-testsupport's DebugClient, the
// client VS Code's own debug adapters are tested with.
// Usage: node client.mjs <path to devc> <workspace folder>
// Prints PASS and exits 0 when every step checks out.
import { DebugClient } from '@vscode/debugadapter-testsupport';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [devc, workspace] = process.argv.slice(2);
writeFileSync(join(workspace, '.devcontainer.json'), '{ "image": "devc-test-busybox:latest" }\n');

const dc = new DebugClient(devc, 'dap', 'devcontainer', { cwd: workspace });
dc.defaultTimeout = 60000; // the first launch creates the container
await dc.start();
try {
  // Output and readiness listeners first: they must see everything from the start.
  const stdout = dc.assertOutput('stdout', 'one\ntwo\nlistening on port 8080\n');
  const ready = dc.waitForEvent('devcontainer/ready');
  const exited = dc.waitForEvent('exited');
  const terminated = dc.waitForEvent('terminated');
  await Promise.all([
    dc.configurationSequence(),
    dc.launch({
      command: ['sh', '-c', 'echo one; echo two; sleep 0.2; echo "listening on port 8080"; exec sleep 600'],
      cwd: '${containerWorkspaceFolder}',
      readiness: { pattern: 'listening on port (\\d+)' },
      stopSignal: 'SIGTERM',
      stopTimeoutSeconds: 5,
    }),
  ]);
  await stdout;
  const readyEvent = await ready;
  assert.equal(readyEvent.body.port, 8080);
  assert.equal(readyEvent.body.uri, 'http://localhost:8080');
  const threads = await dc.threadsRequest();
  assert.equal(threads.body.threads.length, 1);
  await dc.terminateRequest({});
  const exit = await exited;
  assert.equal(typeof exit.body.exitCode, 'number');
  await terminated;
  await dc.disconnectRequest({});
  console.log('PASS');
} finally {
  // The adapter exits after `disconnect` (as VS Code's own adapters do); this
  // only ends it when a step above failed.
  dc.stopAdapter();
}
