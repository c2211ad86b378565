// Baseline for bench/sse-turn: a bare Node relay. POST / fetches the provider's stream
// (OpenAI chat-completions SSE) and writes each delta as one SSE event, then `done`.
import http from 'node:http';
import { createParser } from 'eventsource-parser';

const upstream = process.argv[2];
const server = http.createServer(async (req, res) => {
  for await (const _ of req) void _;
  const r = await fetch(`${upstream}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
    body: JSON.stringify({ model: 'fake-model', stream: true, messages: [{ role: 'user', content: 'go' }] }),
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let seq = 0;
  const parser = createParser({
    onEvent: (e) => {
      if (e.data === '[DONE]') return;
      const text = JSON.parse(e.data).choices?.[0]?.delta?.content;
      if (text) res.write(`id: ${++seq}\nevent: agent_message_chunk\ndata: ${JSON.stringify({ update: { sessionUpdate: 'agent_message_chunk', content: { type: 'text', text } } })}\n\n`);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  res.end(`event: done\ndata: {"stopReason":"end_turn"}\n\n`);
});
server.listen(0, '127.0.0.1', () => process.stderr.write(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}\n`));
