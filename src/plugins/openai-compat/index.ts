import type { Plugin } from '../../host/plugin.js';
import { ChatTurnsToken } from '../api-proxy/contract.js';
import { ProfileServiceToken } from '../profiles/contract.js';
import { ProfilesList } from '../profiles/schemas.js';
import type { z } from 'zod';
import { completionsEndpoint } from './completions.js';
import { ModelList } from './schemas.js';

/**
 * OpenAI's chat-completions wire over Switchboard agents, so any OpenAI client can use one as its
 * model: `POST /v1/chat/completions` and `GET /v1/models` (one model per profile). Thin raw
 * endpoints over the chat-turn service (sessions underneath, with their tools and permissions).
 */
export const openaiCompatPlugin: Plugin = {
  name: 'openai-compat',
  description: 'OpenAI-compatible /v1/chat/completions and /v1/models over Switchboard sessions',
  dependsOn: ['api-proxy', 'profiles'],
  requires: [ChatTurnsToken, ProfileServiceToken],
  activate(ctx) {
    const turns = ctx.require(ChatTurnsToken);
    const profiles = ctx.require(ProfileServiceToken);
    ctx.endpoints.add(completionsEndpoint({ turns: () => turns, profiles: () => profiles }));
    ctx.endpoints.add({
      path: '/v1/models',
      methods: ['GET'],
      description: 'OpenAI-compatible model list: one model per Switchboard profile',
      doc: { responses: { '200': { description: 'the models (profile names)', contentType: 'application/json', schema: ModelList } } },
      async handle(_request, call) {
        const { profiles: list } = await ctx.call(ProfilesList, {}, call);
        const models: z.input<typeof ModelList> = { object: 'list', data: list.map((p) => ({ id: p.name, object: 'model', created: 0, owned_by: 'switchboard' })) };
        return Response.json(models);
      },
    });
  },
};
