/**
 * The baseline of bench/turn-stream.ts: the least a relay can do. For each line on stdin (a
 * chat-completions URL), it streams the completion with undici, parses the SSE with
 * eventsource-parser and writes every delta to stdout as an NDJSON line (the lines of one
 * network read in one write), then `{"done":true}`.
 */
import { createParser } from 'eventsource-parser';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';

const agent = new Agent({ bodyTimeout: 0 });

async function relay(url: string): Promise<void> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'bench', stream: true, messages: [{ role: 'user', content: 'go' }] }),
  });
  let out = '';
  const parser = createParser({
    onEvent(e) {
      if (e.data === '[DONE]') return;
      const delta = (JSON.parse(e.data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content;
      if (delta) out += JSON.stringify({ delta }) + '\n';
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of res.body) {
    parser.feed(decoder.decode(chunk as Buffer, { stream: true }));
    if (out) {
      process.stdout.write(out);
      out = '';
    }
  }
  process.stdout.write(JSON.stringify({ done: true }) + '\n');
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (url) => void relay(url.trim()));
lines.on('close', () => void agent.close());
