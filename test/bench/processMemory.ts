/**
 * Where a child process's memory is: its resident set split as Linux counts it (anonymous pages, which
 * are the process's own, and file pages, mostly Node's binary mapped in and shared with the page cache),
 * and its V8 heap after a full GC (the live objects: what a leak would grow).
 *
 * The heap figures come through the V8 inspector, switched on only at the moment of measuring: a process
 * started with `--inspect-port=0` opens it on SIGUSR1 (Node's documented way) on a free loopback port, so
 * nothing of the inspector runs while the process is being measured.
 */
import { readFileSync } from "node:fs";

export interface ResidentSplit {
  /** Anonymous resident memory: heap, stacks, native allocations (MB). */
  anonMb: number;
  /** File-backed resident memory: the Node binary and other mapped files (MB). */
  fileMb: number;
}

/** The split of a process's RSS from /proc (Linux); null where there is no /proc. */
export function residentSplit(pid: number): ResidentSplit | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return null;
  }
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { anonMb: mb(kb("RssAnon") * 1024), fileMb: mb((kb("RssFile") + kb("RssShmem")) * 1024) };
}

/** CPU seconds (user + system) the process has used so far, from /proc (Linux); null where there is none. */
export function cpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Clock ticks of 1/100 s: USER_HZ on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export interface HeapAfterGc {
  /** Live objects on the V8 heap after a full GC. */
  liveHeapMb: number;
  /** What V8 holds for its heap (live or not) after that GC. */
  heapTotalMb: number;
  /** Memory of JS objects held outside the heap (Buffers, ArrayBuffers). */
  externalMb: number;
  rssMb: number;
  /** The V8 heap's spaces: size held / used, MB. */
  spaces: Record<string, [number, number]>;
}

/**
 * Opens the inspector of `pid` (started with `--inspect-port=0`) by SIGUSR1, reading its address from the
 * process's output, forces a full GC there and reads `process.memoryUsage()` and the heap's spaces.
 */
export async function heapAfterFullGc(pid: number, output: () => string): Promise<HeapAfterGc> {
  process.kill(pid, "SIGUSR1");
  let url: string | undefined;
  for (let i = 0; i < 200 && !url; i++) {
    url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(output())?.[1];
    if (!url) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  if (!url) throw new Error("the process did not open its inspector on SIGUSR1");
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error(`inspector at ${url} refused`)), { once: true });
  });
  const answers = new Map<number, (message: { result?: unknown; error?: unknown }) => void>();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: unknown };
    if (message.id !== undefined) answers.get(message.id)?.(message);
  });
  let nextId = 0;
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = ++nextId;
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method}`)), 30_000);
      answers.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`inspector: ${method}: ${JSON.stringify(message.error)}`));
        else resolve(message.result);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call("HeapProfiler.collectGarbage");
    const expression = `JSON.stringify({
      usage: process.memoryUsage(),
      spaces: process.getBuiltinModule("node:v8").getHeapSpaceStatistics()
        .filter((s) => s.space_size > 0)
        .map((s) => [s.space_name, s.space_size, s.space_used_size]),
    })`;
    const answer = (await call("Runtime.evaluate", { expression, returnByValue: true })) as {
      result: { value: string };
    };
    const { usage, spaces } = JSON.parse(answer.result.value) as {
      usage: NodeJS.MemoryUsage;
      spaces: [string, number, number][];
    };
    return {
      liveHeapMb: mb(usage.heapUsed),
      heapTotalMb: mb(usage.heapTotal),
      externalMb: mb(usage.external),
      rssMb: mb(usage.rss),
      spaces: Object.fromEntries(spaces.map(([name, size, used]) => [name, [mb(size), mb(used)]])),
    };
  } finally {
    socket.close();
  }
}

function mb(bytes: number): number {
  return Math.round(bytes / 1024 / 102.4) / 10;
}
