import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time a process has spent so far, in milliseconds, all its threads together (the main
 * thread, libuv's pool, V8's GC helpers). Read from each thread's `/proc/<pid>/task/<tid>/schedstat`
 * (nanoseconds on a CPU, as the scheduler counts them), falling back to `/proc/<pid>/stat`'s
 * utime + stime (clock ticks). Unlike wall-clock time, what other processes do barely moves it.
 */
export function cpuMs(pid: number): number {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    }
    if (Number.isFinite(ns) && ns > 0) return ns / 1e6;
  } catch {
    /* no schedstat (a kernel without CONFIG_SCHEDSTATS): use stat */
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Runs `work` and returns its result with the CPU milliseconds `pid` spent meanwhile. */
export async function withCpu<T>(pid: number, work: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = cpuMs(pid);
  const value = await work();
  return { value, cpuMs: cpuMs(pid) - before };
}
