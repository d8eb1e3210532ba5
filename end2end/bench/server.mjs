// The benchmarks' own server: the release binary on a port of their own,
// and a wait until it answers.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// BENCH_ROOT: another checkout's build (its target/release and target/site),
// to compare two builds in one sitting.
const ROOT = process.env.BENCH_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Starts `switchboard serve` on `port`; returns the child process. */
export function startServer(port) {
  return spawn('./target/release/switchboard', ['serve', '--addr', `127.0.0.1:${port}`], {
    cwd: ROOT,
    env: { ...process.env, LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'warn' },
    stdio: 'ignore',
  });
}

/** Resolves once the server on `port` answers, or throws after 10 s. */
export async function serverUp(port) {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/api/patterns`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}
