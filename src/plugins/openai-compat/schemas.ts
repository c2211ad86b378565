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
