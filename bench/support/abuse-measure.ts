import { readFileSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';

// Measuring the bridge from outside for the abuse benchmark (bench/abuse.ts): its memory from /proc, /healthz
// probes each on a new connection (as a load balancer or kubelet makes them), quantiles, and a tally of what the
// bridge logged.

/** Resident memory of a process from /proc/<pid>/status, in MB: now (VmRSS) and at its highest (VmHWM). */
export function memoryOf(pid: number): { rssMb: number; hwmMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined; // the process is gone
  }
}

/** CPU time a process has used so far, in seconds: in user mode and in the kernel (reads, writes, page faults). */
export function cpuOf(pid: number): { user: number; sys: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / 100, sys: Number(fields[12]) / 100 }; // utime, stime in 10 ms ticks
  } catch {
    return undefined;
  }
}

/**
 * The Node process running `script` at or under `pid`: `pid` itself when it is that (taskset execs Node in place),
 * else its descendants are searched (a wrapper such as npm or a shell would have made a child).
 */
export function nodePidOf(pid: number, script: string): number {
  const seen: number[] = [pid];
  for (let i = 0; i < seen.length && i < 64; i++) {
    const p = seen[i] as number;
    try {
      const exe = basename(readlinkSync(`/proc/${p}/exe`));
      const args = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (exe.startsWith('node') && args.some((a) => a.endsWith(script))) return p;
      const children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim();
      if (children) seen.push(...children.split(/\s+/).map(Number));
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no Node process running ${script} at or under pid ${pid}`);
}

/** One GET /healthz on a new connection: its time to the end of the answer (and to the TCP connect), or failure. */
export function probeHealth(
  port: number,
  timeoutMs: number,
): Promise<{ at: number; ms: number; connectMs: number; ok: boolean }> {
  return new Promise((resolve) => {
    const at = performance.timeOrigin + performance.now();
    const started = performance.now();
    let done = false;
    let connectMs = Number.NaN;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ at, ms: performance.now() - started, connectMs, ok });
    };
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
      res.resume();
      res.on('end', () => finish(res.statusCode === 200));
      res.on('error', () => finish(false));
    });
    req.on('socket', (socket) =>
      socket.once('connect', () => {
        connectMs = performance.now() - started;
      }),
    );
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('error', () => finish(false));
    req.end();
  });
}

/** The value at quantile `p` of ascending `sorted` (0 when empty). */
export const quantile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;

/** Counts the bridge's log lines (pino JSON on stdout) by level and message; lines that are not JSON are kept. */
export class LogTally {
  readonly counts = new Map<string, number>();
  readonly other: string[] = [];
  #rest = '';

  constructor(stdout: Readable) {
    stdout.setEncoding('utf8');
    stdout.on('data', (text: string) => {
      const lines = (this.#rest + text).split('\n');
      this.#rest = lines.pop() ?? '';
      for (const line of lines) this.#add(line);
    });
  }

  #add(line: string) {
    if (!line.trim()) return;
    try {
      const entry = JSON.parse(line) as { level?: number | string; msg?: string };
      const level = { 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }[Number(entry.level)] ?? String(entry.level);
      const key = `${level}: ${entry.msg ?? '(no message)'}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    } catch {
      if (this.other.length < 20) this.other.push(line);
    }
  }
}
