/** pino's level numbers: every line gets one, whether it came from pino or not. */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;
export const LEVEL_NAMES = Object.keys(LEVELS) as LevelName[];

const BY_NUMBER: Record<number, LevelName> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** The name of a level number: the highest named level at or below it (pino's custom levels fall in between). */
export function levelName(n: number): LevelName {
  const exact = BY_NUMBER[n];
  if (exact) return exact;
  let out: LevelName = 'trace';
  for (const name of LEVEL_NAMES) if (n >= LEVELS[name]) out = name;
  return out;
}

/** A level given as a name or a number (`minLevel`), as a number. */
export function levelNumber(level: LevelName | number | undefined): number {
  if (level === undefined) return 0;
  return typeof level === 'number' ? level : LEVELS[level];
}

/** Other loggers' names for levels (bunyan, winston, log4j, Python's logging…), lower case. */
const NAMED: Record<string, number> = {
  ...LEVELS,
  verbose: 20,
  notice: 30,
  information: 30,
  warning: 40,
  err: 50,
  severe: 50,
  critical: 60,
  crit: 60,
  panic: 60,
  emerg: 60,
  alert: 60,
};

/** A level from a JSON line's `level` field: a number (pino, bunyan) or a name (winston, others). */
export function levelFromField(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') return NAMED[value.trim().toLowerCase()];
  return undefined;
}

// Plain text: the words loggers print for a level, and the shapes of a crash. Tested in order of
// severity, so a line that says both ERROR and WARN is an error. Lower-case "error" in prose
// ("no error found") is not a level; `TypeError:`, `[error]`, `level=error` are.
const TEXT_RULES: readonly [RegExp, number][] = [
  [/\b(?:FATAL|CRITICAL|PANIC|EMERG(?:ENCY)?)\b|\blevel=(?:fatal|critical|panic)\b|\[(?:fatal|critical)\]/, LEVELS.fatal],
  [
    /\b(?:ERROR|ERR|SEVERE|FAIL(?:ED|URE)?)\b|Traceback \(most recent call last\)|(?:Error|Exception)(?![a-z])|\bpanicked at\b|\blevel=err(?:or)?\b|\[(?:error|err)\]/,
    LEVELS.error,
  ],
  [/\bWARN(?:ING)?\b|\bWarning:|\blevel=warn(?:ing)?\b|\[warn(?:ing)?\]/, LEVELS.warn],
  [/\bDEBUG\b|\blevel=debug\b|\[debug\]/, LEVELS.debug],
  [/\bTRACE\b|\blevel=trace\b|\[trace\]/, LEVELS.trace],
];

/** Loggers put the level near the start: only this much of a line is looked at. */
const LEVEL_WINDOW = 1024;

/** A plain line's level from its words; `info` when it says nothing. */
export function levelFromText(text: string): number {
  const head = text.length > LEVEL_WINDOW ? text.slice(0, LEVEL_WINDOW) : text;
  for (const [re, level] of TEXT_RULES) if (re.test(head)) return level;
  return LEVELS.info;
}
