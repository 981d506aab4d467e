import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { WAYS } from './support/client-calls.ts';

// Instructions per GET /conversations/{id} for this client and bare undici, counted by valgrind's callgrind:
// unlike req/s on a shared VM, a count does not depend on what else the machine is doing (runs of the same code
// still differ by a few percent, from when the collector runs). Each way runs 500 and 2,500 calls at
// concurrency 64 against the fixed stand-in; the difference over 2,000 is per request, start-up cancelled out.
// Needs valgrind (Debian: valgrind). Run with `npm run bench:client:instructions` (about 4 minutes per way).

const run = promisify(execFile);
const script = fileURLToPath(new URL('./support/client-calls.ts', import.meta.url));
const server = spawn(process.execPath, [fileURLToPath(new URL('./support/fixed-intercom.ts', import.meta.url))], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const [line] = (await once(server.stdout, 'data')) as [Buffer];
  const { port } = JSON.parse(String(line)) as { port: number };

  async function instructions(way: string, calls: number): Promise<number> {
    const { stderr } = await run(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        process.execPath,
        script,
        way,
        String(calls),
        String(port),
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    const collected = /Collected : (\d+)/.exec(stderr)?.[1];
    if (!collected) throw new Error(`callgrind printed no count for "${way}":\n${stderr.slice(-2000)}`);
    return Number(collected);
  }

  const rows = ['| way of calling | instructions per request |', '|---|---:|'];
  for (const way of WAYS) {
    const perRequest = ((await instructions(way, 2500)) - (await instructions(way, 500))) / 2000;
    rows.push(`| ${way} | ${Math.round(perRequest / 1000)}k |`);
    process.stderr.write(`${way}: done\n`);
  }
  process.stdout.write(
    `GET /conversations/{id}, concurrency 64, Node ${process.versions.node}\n\n${rows.join('\n')}\n`,
  );
} finally {
  server.kill('SIGKILL');
}
