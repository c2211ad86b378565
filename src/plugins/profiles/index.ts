import type { Plugin } from '../../host/plugin.js';
import { ErrorCodes, RpcError, toRpcError } from '../../host/errors.js';
import { ProviderFactoryToken } from '../providers/contract.js';
import { ProfileServiceToken, type ProfileService } from './contract.js';
import {
  ProfilesCreate,
  ProfilesDelete,
  ProfilesGet,
  ProfilesList,
  ProfilesReady,
  ProfilesTest,
  ProfilesUpdate,
  type Profile,
} from './schemas.js';
import { ProfileStore, redact } from './store.js';

const TEST_TIMEOUT_MS = 15_000;

/** `profiles/*` and `GET /ready`: named provider settings in `$SWITCHBOARD_HOME/profiles.json`. */
export const profilesPlugin: Plugin = {
  name: 'profiles',
  description: 'provider profiles (profiles.json), secrets redacted, ${env:NAME} keys',
  dependsOn: ['providers'],
  provides: [ProfileServiceToken],
  requires: [ProviderFactoryToken],
  methods: [ProfilesList, ProfilesGet, ProfilesCreate, ProfilesUpdate, ProfilesDelete, ProfilesTest, ProfilesReady],
  activate(ctx) {
    const store = new ProfileStore(ctx.config.home, ctx.config.env);
    for (const problem of store.problems()) ctx.logger.warn({ file: store.file, ...problem }, 'profiles.json entry not loaded');
    ctx.status.add('profiles', () => ({ file: store.file, loaded: fresh().list().length, problems: store.problems() }));
    const factory = ctx.require(ProviderFactoryToken);
    const fresh = () => {
      store.refresh((message) => ctx.logger.warn({ message }, 'profiles.json changed but cannot be read; keeping the profiles loaded before'));
      return store;
    };
    const listeners = new Set<() => void>();
    const changed = () => {
      for (const l of listeners) l();
    };
    const view = (p: Profile) => ({
      ...redact(p),
      isDefault: store.defaultName() === p.name,
      builtin: store.isBuiltin(p.name),
      hasApiKey: p.apiKey !== undefined && p.apiKey !== '',
    });

    const service: ProfileService = {
      defaultName: () => fresh().defaultName(),
      has: (name) => fresh().find(name) !== undefined,
      names: () => fresh().list().map((p) => p.name),
      resolve: (name) => fresh().resolve(name),
      onDidChange(listener) {
        listeners.add(listener);
        return { dispose: () => void listeners.delete(listener) };
      },
    };
    ctx.provide(ProfileServiceToken, service);

    ctx.handle(ProfilesList, () => ({ default: fresh().defaultName(), profiles: store.list().map(view), problems: store.problems() }));
    ctx.handle(ProfilesGet, ({ name }) => view(fresh().get(name)));
    ctx.handle(ProfilesCreate, ({ makeDefault, ...profile }) => {
      const p = fresh().create(profile, makeDefault ?? false);
      ctx.logger.info({ profile: redact(p) }, 'profile created');
      changed();
      return view(p);
    });
    ctx.handle(ProfilesUpdate, ({ name, ...patch }) => {
      const p = fresh().update(name, patch);
      ctx.logger.info({ profile: redact(p), from: name }, 'profile updated');
      changed();
      return view(p);
    });
    ctx.handle(ProfilesDelete, ({ name }) => {
      fresh().delete(name);
      ctx.logger.info({ name }, 'profile deleted');
      changed();
      return { deleted: true as const, default: store.defaultName() };
    });
    ctx.handle(ProfilesTest, async ({ name }, call) => {
      const p = fresh().get(name);
      const started = performance.now();
      const timeout = AbortSignal.timeout(TEST_TIMEOUT_MS);
      try {
        const provider = factory.create(store.resolve(name));
        const { models } = await provider.listModels(AbortSignal.any([call.signal, timeout]));
        return { ok: true, profile: name, provider: p.provider, latencyMs: Math.round(performance.now() - started), models };
      } catch (err) {
        const rpc = timeout.aborted
          ? new RpcError(ErrorCodes.Timeout, `the provider of profile "${name}" did not answer within ${TEST_TIMEOUT_MS / 1000} s`)
          : toRpcError(err);
        ctx.logger.info({ profile: name, code: rpc.code, message: rpc.message }, 'profile test failed');
        return { ok: false, profile: name, provider: p.provider, latencyMs: Math.round(performance.now() - started), error: rpc.toJSON() };
      }
    });
    ctx.handle(ProfilesReady, () => {
      const profiles = fresh().list().map((p) => {
        const reason = store.unusable(p);
        return { name: p.name, provider: p.provider, ready: !reason, ...(reason ? { reason } : {}) };
      });
      const def = store.defaultName();
      return { ready: profiles.some((p) => p.name === def && p.ready), default: def, profiles };
    });
  },
};
