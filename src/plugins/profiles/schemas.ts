import { z } from 'zod';
import { NoParams, defineMethod } from '../../host/method.js';

/** What a secret field shows in every response and log line. Sent back on update, it keeps the stored value. */
export const REDACTED = '[redacted]';

export const ProviderKindSchema = z.enum(['openai-compatible', 'anthropic', 'ollama']);

const ProfileName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a profile name is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit');

/** A profile as stored in profiles.json. `apiKey` may be `${env:NAME}`, resolved at use. */
export const ProfileSchema = z.object({
  name: ProfileName,
  provider: ProviderKindSchema,
  model: z.string().min(1),
  /** OpenAI-compatible: up to `/v1`. Anthropic: the origin. Defaults per provider when absent. */
  baseUrl: z.url().optional(),
  apiKey: z.string().optional().meta({ secret: true }),
  /** Extra request headers; their values are secrets. */
  headers: z.record(z.string(), z.string()).optional().meta({ secret: true }),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** The model's context window, reported in `usage_update.size`. */
  contextWindow: z.number().int().positive().optional(),
});
export type Profile = z.infer<typeof ProfileSchema>;

/** An entry of profiles.json (or the file, index null) that could not be loaded, and why. */
export const ProfileProblemSchema = z.object({
  index: z.number().int().nullable(),
  name: z.string().optional(),
  reason: z.string(),
});
export type ProfileProblem = z.infer<typeof ProfileProblemSchema>;

/** A profile as returned: secrets redacted, plus whether it is the default or built-in. */
export const ProfileView = ProfileSchema.extend({
  isDefault: z.boolean(),
  builtin: z.boolean(),
  hasApiKey: z.boolean(),
});

const NameParam = z.object({ name: ProfileName });

export const ProfilesList = defineMethod({
  name: 'profiles/list',
  description:
    'Every profile (secrets redacted) and the name of the default one. `problems` lists the entries of profiles.json that could not be loaded (their index and why); profiles/create, update or delete of that name repairs them.',
  params: NoParams,
  result: z.object({ default: z.string().nullable(), profiles: z.array(ProfileView), problems: z.array(ProfileProblemSchema) }),
  rest: { verb: 'GET', path: '/profiles' },
});

export const ProfilesGet = defineMethod({
  name: 'profiles/get',
  description: 'One profile, secrets redacted.',
  params: NameParam,
  result: ProfileView,
  rest: { verb: 'GET', path: '/profiles/{name}' },
});

export const ProfilesCreate = defineMethod({
  name: 'profiles/create',
  description:
    'Creates a profile. `apiKey` may be a literal key or `${env:NAME}` (resolved at use, never stored resolved). `makeDefault` makes it the default; the first profile created also becomes the default.',
  params: ProfileSchema.extend({ makeDefault: z.boolean().optional() }),
  result: ProfileView,
  rest: { verb: 'POST', path: '/profiles', status: 201 },
});

export const ProfilesUpdate = defineMethod({
  name: 'profiles/update',
  description:
    'Updates a profile; `newName` renames it. Fields left out are kept; the redacted placeholder sent back as apiKey or a header value keeps the stored secret; null removes an optional field.',
  params: z.object({
    name: ProfileName,
    newName: ProfileName.optional(),
    provider: ProviderKindSchema.optional(),
    model: z.string().min(1).optional(),
    baseUrl: z.url().nullable().optional(),
    apiKey: z.string().nullable().optional(),
    headers: z.record(z.string(), z.string()).nullable().optional(),
    maxTokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    contextWindow: z.number().int().positive().nullable().optional(),
    makeDefault: z.boolean().optional(),
  }),
  result: ProfileView,
  rest: { verb: 'PUT', path: '/profiles/{name}' },
});

export const ProfilesDelete = defineMethod({
  name: 'profiles/delete',
  description: 'Deletes a profile. Deleting the default makes the first remaining profile the default.',
  params: NameParam,
  result: z.object({ deleted: z.literal(true), default: z.string().nullable() }),
  rest: { verb: 'DELETE', path: '/profiles/{name}' },
});

export const ProfilesTest = defineMethod({
  name: 'profiles/test',
  description: "Makes a real minimal call to the profile's provider (list models) and reports ok or the provider's error.",
  params: NameParam,
  result: z.object({
    ok: z.boolean(),
    profile: z.string(),
    provider: ProviderKindSchema,
    latencyMs: z.number(),
    models: z.array(z.string()).optional(),
    error: z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() }).optional(),
  }),
  rest: { verb: 'POST', path: '/profiles/{name}/test' },
});

export const ProfilesReady = defineMethod({
  name: 'profiles/ready',
  description:
    'Whether a usable profile exists: per profile, whether its credential is present (an `${env:NAME}` key needs that variable set). Makes no network call; use profiles/test for that.',
  params: NoParams,
  result: z.object({
    ready: z.boolean(),
    default: z.string().nullable(),
    profiles: z.array(z.object({ name: z.string(), provider: ProviderKindSchema, ready: z.boolean(), reason: z.string().optional() })),
  }),
  rest: { verb: 'GET', path: '/ready' },
});
