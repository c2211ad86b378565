import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';

/**
 * Stack traces of code in the bundle name the TypeScript source (`src/host/host.ts:120:7`), as
 * `--enable-source-maps` would: Node maps only the modules its own loaders compiled, and the
 * bundle is compiled by `vm.Script` for its code cache. The map is read on the first trace that
 * needs it, never at start. Frames of other files are left as V8 wrote them.
 */
export function mapStacksOf(file: string): void {
  if (!maps.size) Error.prepareStackTrace = (error, trace) => `${headerOf(error)}${trace.map((site) => `\n    at ${frameOf(site)}`).join('')}`;
  maps.set(file, undefined);
}

/** Each bundle's map: not read yet (undefined), unreadable (null), or parsed. */
const maps = new Map<string, SourceMap | null | undefined>();

function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map !== undefined) return map;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
  } catch {
    map = null;
  }
  maps.set(file, map);
  return map;
}

function frameOf(site: NodeJS.CallSite): string {
  const text = String(site);
  const file = site.getFileName();
  if (!file || !maps.has(file)) return text;
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  const map = line && column ? mapOf(file) : null;
  if (!map || !line || !column) return text;
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (!entry.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return text;
  const source = entry.originalSource.startsWith('file://') ? new URL(entry.originalSource).pathname : path.resolve(path.dirname(file), entry.originalSource);
  const where = `${file}:${line}:${column}`;
  const at = text.lastIndexOf(where);
  const mapped = `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  return at < 0 ? text : text.slice(0, at) + mapped + text.slice(at + where.length);
}

/** What V8 puts first in `stack`: `Name: message`, as `Error.prototype.toString` gives it. */
function headerOf(error: Error): string {
  try {
    return Error.prototype.toString.call(error);
  } catch {
    return '<error>';
  }
}
