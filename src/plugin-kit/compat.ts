import { readFileSync } from 'node:fs';
import semver from 'semver';
import type { Plugin } from '../host/plugin.js';
import { apiVersion } from './define.js';

/**
 * Why a custom plugin cannot run on this Switchboard, or undefined when it can: the plugin API
 * it was written for (`apiVersion`), and the version range its package.json asks for
 * (`engines.switchboard`).
 */
export function incompatibility(plugin: Plugin, hostVersion: string, packageJson?: string): string | undefined {
  const wanted = (plugin as { apiVersion?: unknown }).apiVersion;
  if (wanted !== undefined && wanted !== apiVersion) {
    return `it was written for plugin API ${JSON.stringify(wanted)}, and this Switchboard (${hostVersion}) provides plugin API ${apiVersion}; update the plugin or Switchboard`;
  }
  if (!packageJson) return undefined;
  let range: unknown;
  try {
    range = (JSON.parse(readFileSync(packageJson, 'utf8')) as { engines?: { switchboard?: unknown } }).engines?.switchboard;
  } catch (err) {
    return `${packageJson} is not valid JSON (${(err as Error).message})`;
  }
  if (range === undefined) return undefined;
  if (typeof range !== 'string' || semver.validRange(range) === null) {
    return `${packageJson}: engines.switchboard must be a semver range such as "^0.1.0", got ${JSON.stringify(range)}`;
  }
  if (!semver.satisfies(hostVersion, range, { includePrerelease: true })) {
    return `it needs switchboard ${range} (engines.switchboard in ${packageJson}), and this is switchboard ${hostVersion}`;
  }
  return undefined;
}
