/**
 * The kernel's socket tables (/proc/net/{udp,udp6,tcp,tcp6}) and socket
 * ownership (/proc/<pid>/fd), read directly: the same facts `ss` prints,
 * without spawning a process on every poll.
 *
 *   listSockets('udp' | 'tcp')          -> SocketEntry[] (local port, state, inode)
 *   socketInodesOfTree(pid)             -> Set<number> inodes of sockets held by pid
 *                                          or any of its descendants
 *
 * Linux only (the end-to-end tests run on Linux); on another system the
 * tables are empty and callers see "nothing bound".
 */
import { readFile, readdir, readlink } from 'node:fs/promises';

export type SocketProtocol = 'udp' | 'tcp';

export interface SocketEntry {
  readonly protocol: SocketProtocol;
  /** Local address as the kernel prints it (hex), e.g. "0100007F" for 127.0.0.1. */
  readonly localAddressHex: string;
  readonly localPort: number;
  /** Kernel state code: "0A" = TCP LISTEN, "07" = UDP unconnected ("UNCONN" in ss). */
  readonly state: string;
  readonly inode: number;
}

/** TCP_LISTEN in include/net/tcp_states.h. */
export const TCP_STATE_LISTEN = '0A';

async function readTable(path: string, protocol: SocketProtocol): Promise<SocketEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'latin1');
  } catch {
    return [];
  }
  const entries: SocketEntry[] = [];
  const lines = text.split('\n');
  // Line 0 is the column header.
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i]?.trim().split(/\s+/) ?? [];
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const local = fields[1];
    const state = fields[3];
    const inode = fields[9];
    if (local === undefined || state === undefined || inode === undefined) continue;
    const colon = local.lastIndexOf(':');
    if (colon < 0) continue;
    entries.push({
      protocol,
      localAddressHex: local.slice(0, colon),
      localPort: Number.parseInt(local.slice(colon + 1), 16),
      state,
      inode: Number.parseInt(inode, 10),
    });
  }
  return entries;
}

/** Every socket of the protocol, IPv4 and IPv6. */
export async function listSockets(protocol: SocketProtocol): Promise<SocketEntry[]> {
  const [v4, v6] = await Promise.all([
    readTable(`/proc/net/${protocol}`, protocol),
    readTable(`/proc/net/${protocol}6`, protocol),
  ]);
  return v4.concat(v6);
}

async function childrenByParent(): Promise<Map<number, number[]>> {
  const byParent = new Map<number, number[]>();
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return byParent;
  }
  await Promise.all(
    names.map(async (name) => {
      const pid = Number(name);
      if (!Number.isInteger(pid)) return;
      let stat: string;
      try {
        stat = await readFile(`/proc/${pid}/stat`, 'latin1');
      } catch {
        return; // exited meanwhile
      }
      // "pid (comm) state ppid ..."; comm may contain spaces and parentheses.
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(after[1]);
      const siblings = byParent.get(ppid);
      if (siblings === undefined) byParent.set(ppid, [pid]);
      else siblings.push(pid);
    }),
  );
  return byParent;
}

/** The pid and all its descendants (children fork; Kamailio's TCP socket lives in a child). */
export async function processTree(pid: number): Promise<number[]> {
  const byParent = await childrenByParent();
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop();
    if (next === undefined) break;
    tree.push(next);
    for (const child of byParent.get(next) ?? []) queue.push(child);
  }
  return tree;
}

/** Inodes of the sockets open in the process tree rooted at pid. */
export async function socketInodesOfTree(pid: number): Promise<Set<number>> {
  const inodes = new Set<number>();
  for (const member of await processTree(pid)) {
    let fds: string[];
    try {
      fds = await readdir(`/proc/${member}/fd`);
    } catch {
      continue;
    }
    await Promise.all(
      fds.map(async (fd) => {
        try {
          const target = await readlink(`/proc/${member}/fd/${fd}`);
          if (target.startsWith('socket:[')) inodes.add(Number(target.slice(8, -1)));
        } catch {
          // closed meanwhile
        }
      }),
    );
  }
  return inodes;
}
