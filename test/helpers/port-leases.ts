/**
 * Port leases shared by every test process on the machine, so two test runs
 * (two engineers, two vitest processes) do not pick the same free port in
 * the moment before either has bound it, nor a port a suite keeps for its
 * UAS between tests.
 *
 *   leasePort(port, untilMs)   -> true when taken, false when someone holds it
 *   isPortLeased(port)         -> a live lease exists (this process included)
 *   releasePortLeases(ports)   drops this process's leases
 *
 * One file per leased port in <tmpdir>/sipmesh-port-leases, "<pid> <expiry ms>",
 * put in place atomically with its content (a hard link of a written draft).
 * A lease whose process is gone or whose time is over is stale and taken over.
 */
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the lease files live; the format is part of the contract between test processes. */
export const PORT_LEASE_DIR = join(tmpdir(), 'sipmesh-port-leases');

let draftSequence = 0;

function leaseFile(port: number): string {
  return join(PORT_LEASE_DIR, String(port));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLease(port: number): Promise<{ pid: number; untilMs: number } | undefined> {
  try {
    const [pid, until] = (await readFile(leaseFile(port), 'utf8')).trim().split(' ');
    return { pid: Number(pid), untilMs: Number(until) };
  } catch {
    return undefined;
  }
}

export async function isPortLeased(port: number): Promise<boolean> {
  const lease = await readLease(port);
  if (lease === undefined || !Number.isInteger(lease.pid)) return false;
  return lease.untilMs > Date.now() && processAlive(lease.pid);
}

export async function leasePort(port: number, untilMs: number): Promise<boolean> {
  await mkdir(PORT_LEASE_DIR, { recursive: true });
  // The lease appears with its content or not at all: written to a private file, then hard-linked
  // into place (link fails with EEXIST atomically). Created in place with O_EXCL, the file could
  // be read empty by a concurrent caller before its content was written, taken for stale,
  // removed and leased again: the same port handed out twice.
  const draft = join(PORT_LEASE_DIR, `.${port}.${process.pid}.${++draftSequence}`);
  await writeFile(draft, `${process.pid} ${untilMs}`);
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(draft, leaseFile(port));
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      if (await isPortLeased(port)) return false;
      await rm(leaseFile(port), { force: true }); // stale: its owner is gone or its time is over
    }
    return false;
  } finally {
    await rm(draft, { force: true });
  }
}

export async function releasePortLeases(ports: readonly number[]): Promise<void> {
  await Promise.all(
    ports.map(async (port) => {
      const lease = await readLease(port);
      if (lease?.pid === process.pid) await rm(leaseFile(port), { force: true });
    }),
  );
}
