import { z } from 'zod';
import { MessageContent } from '../api-proxy/schemas.js';

/**
 * The request of OpenAI's `POST /v1/chat/completions`, the fields Switchboard uses; the rest
 * (temperature, n, …) is accepted and ignored, since the profile decides. `developer` is the
 * newer name of `system`. Client-side tools (`tools`, `tool` messages) are refused: the agent
 * runs Switchboard's own tools.
 */
export const CompletionRequest = z
  .object({
    model: z.string().min(1),
    messages: z.array(
      z
        .object({
          role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
          content: MessageContent.nullable().optional(),
          tool_calls: z.array(z.unknown()).optional(),
        })
        .loose(),
    ),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
    tools: z.array(z.unknown()).nullable().optional(),
    functions: z.array(z.unknown()).nullable().optional(),
  })
  .loose();
export type CompletionRequest = z.infer<typeof CompletionRequest>;

/** OpenAI's finish reasons for a Switchboard stop reason. */
export const FINISH_REASON: Record<string, 'stop' | 'length' | 'content_filter'> = {
  end_turn: 'stop',
  cancelled: 'stop',
  max_tokens: 'length',
  max_turn_requests: 'length',
  refusal: 'content_filter',
};

const Usage = z.object({ prompt_tokens: z.number().int(), completion_tokens: z.number().int(), total_tokens: z.number().int() });
const Finish = z.enum(['stop', 'length', 'content_filter']).nullable();

/** The non-streamed answer (OpenAI's `chat.completion`). */
export const ChatCompletion = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string(), refusal: z.null() }),
      logprobs: z.null(),
      finish_reason: Finish,
    }),
  ),
  usage: Usage,
});

/** One `data:` frame of the stream (OpenAI's `chat.completion.chunk`); the stream ends with `data: [DONE]`. */
export const ChatCompletionChunk = z.object({
  id: z.string(),
  object: z.literal('chat.completion.chunk'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({ index: z.number().int(), delta: z.object({ role: z.literal('assistant').optional(), content: z.string().optional() }), logprobs: z.null(), finish_reason: Finish }),
  ),
  /** With `stream_options.include_usage`: null on every chunk but the last, which has no choices. */
  usage: Usage.nullable().optional(),
});

/** `GET /v1/models`: one model per profile. */
export const ModelList = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() })),
});
