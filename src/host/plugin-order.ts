import type { Plugin } from './plugin.js';

export interface Ordered {
  order: Plugin[];
  /** Plugins that cannot start, with the reason (missing dependency or a cycle). */
  unresolved: Map<string, string>;
}

/**
 * Orders plugins so that each comes after what it depends on (`depsOf`: its `dependsOn`, plus
 * the providers of the services it requires) (stable: registration order breaks
 * ties). A plugin with a missing dependency or in a cycle is reported, not thrown, so the others
 * still start.
 */
export function orderPlugins(plugins: readonly Plugin[], depsOf: (p: Plugin) => readonly string[] = (p) => p.dependsOn ?? []): Ordered {
  const byName = new Map(plugins.map((p) => [p.name, p]));
  const unresolved = new Map<string, string>();
  const order: Plugin[] = [];
  const state = new Map<string, 'visiting' | 'done'>();

  const visit = (p: Plugin, path: string[]): boolean => {
    const s = state.get(p.name);
    if (s === 'done') return !unresolved.has(p.name);
    if (s === 'visiting') {
      const cycle = [...path.slice(path.indexOf(p.name)), p.name].join(' → ');
      for (const n of path.slice(path.indexOf(p.name))) unresolved.set(n, `dependency cycle: ${cycle}`);
      return false;
    }
    state.set(p.name, 'visiting');
    let ok = true;
    for (const dep of depsOf(p)) {
      const d = byName.get(dep);
      if (!d) {
        unresolved.set(p.name, `depends on plugin "${dep}", which is not installed`);
        ok = false;
      } else if (!visit(d, [...path, p.name])) {
        if (!unresolved.has(p.name)) unresolved.set(p.name, `depends on plugin "${dep}", which cannot start`);
        ok = false;
      }
    }
    state.set(p.name, 'done');
    if (ok && !unresolved.has(p.name)) order.push(p);
    return ok && !unresolved.has(p.name);
  };

  for (const p of plugins) visit(p, []);
  return { order, unresolved };
}
