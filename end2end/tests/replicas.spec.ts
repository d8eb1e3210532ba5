import { test, expect } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { typeValue, watchErrors } from './helpers';

// Two replicas joined through a real nats-server, each on its own port:
// a teacher on replica A, a student on replica B. The student follows the
// class through B; when A is killed mid-lecture, the class continues on B
// in the student's browser (a notice, then the same run going on).

const NATS_PORT = 3190;
const A = 3191;
const B = 3192;

let store = '';
const children: ChildProcess[] = [];
let replicaA: ChildProcess | undefined;

/** Waits (up to 60 s: CI machines are slow to start a JetStream store)
 *  for `url` to answer; if `child` exits first, says so with its log. */
async function listening(url: string, child: ChildProcess, log: string) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${url}'s server exited (${child.exitCode ?? child.signalCode}):\n${readFileSync(log, 'utf8')}`);
    }
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answers at ${url} after 60 s:\n${readFileSync(log, 'utf8')}`);
}

/** Resolves once something accepts TCP connections on `port`. */
async function accepting(port: number) {
  for (let i = 0; i < 600; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function replica(port: number): { child: ChildProcess; log: string } {
  const log = join(store, `replica-${port}.log`);
  const out = openSync(log, 'w');
  const child = spawn(
    './target/release/switchboard',
    ['serve', '--addr', `127.0.0.1:${port}`, '--nats', `nats://127.0.0.1:${NATS_PORT}`],
    { cwd: '..', env: { ...process.env, LEPTOS_SITE_ROOT: 'target/site', RUST_LOG: 'warn' }, stdio: ['ignore', out, out] },
  );
  children.push(child);
  return { child, log };
}

test.beforeAll(async () => {
  test.setTimeout(150_000);
  store = mkdtempSync(join(tmpdir(), 'switchboard-e2e-nats-'));
  const nats = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(NATS_PORT), '-sd', join(store, 'js')], { stdio: 'ignore' });
  children.push(nats);
  await accepting(NATS_PORT);
  const a = replica(A);
  const b = replica(B);
  replicaA = a.child;
  await listening(`http://127.0.0.1:${A}/api/patterns`, a.child, a.log);
  await listening(`http://127.0.0.1:${B}/api/patterns`, b.child, b.log);
});

test.afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  if (store) rmSync(store, { recursive: true, force: true });
});

test('a student on another replica follows the class, and keeps following when the teacher\'s replica dies', async ({ browser }) => {
  test.setTimeout(90_000);
  const teacherCtx = await browser.newContext();
  const studentCtx = await browser.newContext();
  const teacher = await teacherCtx.newPage();
  const student = await studentCtx.newPage();
  const studentErrors = watchErrors(student);

  await teacher.goto(`http://127.0.0.1:${A}/?pattern=message-queue&rate=60&seed=5`);
  await expect(teacher.getByTestId('connection')).toHaveText('live');
  await teacher.getByTestId('start-class').click();
  await expect(teacher).toHaveURL(/\?room=[A-Z2-9]{6}$/);
  const code = (await teacher.getByTestId('class-code').textContent())!.trim();

  // The student's socket lands on replica B.
  await student.goto(`http://127.0.0.1:${B}/join/${code}`);
  await expect(student.getByTestId('following')).toContainText('Following the teacher');
  await expect(student.getByTestId('connection')).toHaveText('live');
  await expect(student.getByTestId('value-rate')).toHaveText(/^60\b/);
  // Counted by the teacher's replica although connected to the other.
  await expect(teacher.getByTestId('followers')).toHaveText('1 following', { timeout: 10_000 });
  // The teacher's change, made on A, reaches the student on B.
  await typeValue(teacher, 'rate', '90');
  await expect(student.getByTestId('value-rate')).toHaveText(/^90\b/);

  const completed = async () => parseFloat((await student.getByTestId('completed').textContent()) ?? '0');
  await expect.poll(completed).toBeGreaterThan(50);
  const before = await completed();

  // Replica A dies outright.
  replicaA!.kill('SIGKILL');
  await expect(student.getByTestId('notice')).toContainText('continues on another', { timeout: 15_000 });
  await expect(student.getByTestId('connection')).toHaveText('live');
  // The same run goes on: the live change kept, the count growing from
  // where it was, not from zero.
  await expect(student.getByTestId('value-rate')).toHaveText(/^90\b/);
  expect(await completed()).toBeGreaterThanOrEqual(before);
  await expect.poll(completed, { timeout: 10_000 }).toBeGreaterThan(before + 30);

  expect(studentErrors).toEqual([]);
  await teacherCtx.close();
  await studentCtx.close();
});
