import { describeIssues } from '../../host/dispatcher.js';
import { ProfileSchema, type Profile, type ProfileProblem } from './schemas.js';

/** profiles.json as loaded: the valid profiles, and what could not be loaded, kept aside. */
export interface LoadedProfiles {
  default: string | null;
  profiles: Profile[];
  /** Entries that are not valid profiles, as they are in the file: written back, never lost. */
  invalid: unknown[];
  problems: ProfileProblem[];
  /** False when the file as a whole is unusable (not JSON, or no `profiles` list). */
  readable: boolean;
}

const nameOf = (entry: unknown): string | undefined => {
  const name = (entry as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : undefined;
};

const unusable = (reason: string): LoadedProfiles => ({
  default: null,
  profiles: [],
  invalid: [],
  problems: [{ index: null, reason }],
  readable: false,
});

/**
 * Reads the text of profiles.json entry by entry: one bad entry costs that entry, not the file
 * (and with it every session). Each problem names its index in `profiles` and why.
 */
export function parseProfilesFile(text: string): LoadedProfiles {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return unusable(`not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return unusable('must be an object: {"default": "<name>", "profiles": [ … ]}');
  }
  const file = raw as { default?: unknown; profiles?: unknown };
  if (!Array.isArray(file.profiles)) return unusable('"profiles" must be a list of profiles');
  const out: LoadedProfiles = { default: null, profiles: [], invalid: [], problems: [], readable: true };
  if (typeof file.default === 'string') out.default = file.default;
  else if (file.default !== undefined && file.default !== null) {
    out.problems.push({ index: null, reason: '"default" must be the name of a profile' });
  }
  const seen = new Map<string, number>();
  file.profiles.forEach((entry, index) => {
    const parsed = ProfileSchema.safeParse(entry);
    const name = nameOf(entry);
    let reason: string | undefined;
    if (!parsed.success) reason = describeIssues(parsed.error.issues);
    else if (seen.has(parsed.data.name)) reason = `a profile named "${parsed.data.name}" comes earlier (index ${seen.get(parsed.data.name)})`;
    if (reason === undefined && parsed.success) {
      seen.set(parsed.data.name, index);
      out.profiles.push(parsed.data);
      return;
    }
    out.invalid.push(entry);
    out.problems.push({ index, ...(name === undefined ? {} : { name }), reason: reason ?? 'not a valid profile' });
  });
  return out;
}
