import type { Plugin } from '../../host/plugin.js';
import { AnthropicProvider } from './anthropic.js';
import { ProviderFactoryToken, type Provider, type ProviderConfig, type ProviderFactory } from './contract.js';
import { AgentPool } from './http.js';
import { OpenAIProvider } from './openai.js';

/** Ollama's OpenAI-compatible endpoint on its default local address. */
export const OLLAMA_BASE_URL = 'http://127.0.0.1:11434/v1';

/**
 * Provider instances over undici. Each `create` returns a new instance bound to one resolved
 * profile; instances share nothing but the Agent pool keyed by origin.
 */
export const providersPlugin: Plugin = {
  name: 'providers',
  description: 'OpenAI-compatible and Anthropic streaming providers',
  provides: [ProviderFactoryToken],
  activate(ctx) {
    const pool = ctx.subscriptions.add(new AgentPool());
    const factory: ProviderFactory = {
      create(config: ProviderConfig): Provider {
        if (config.kind === 'anthropic') return new AnthropicProvider(config, pool);
        return new OpenAIProvider({ ...config, baseUrl: config.baseUrl || OLLAMA_BASE_URL }, pool);
      },
    };
    ctx.provide(ProviderFactoryToken, factory);
    ctx.status.add('providers', () => ({ kinds: ['openai-compatible', 'anthropic', 'ollama'], origins: pool.origins() }));
  },
};
