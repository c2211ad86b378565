import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseEvent {
  event: string;
  id?: string;
  data: any;
}

export interface SseClient {
  readonly status: number;
  readonly contentType: string | null;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** Resolves once `pred` holds for the events so far (or rejects if the stream ends first). */
  until(pred: (events: SseEvent[]) => boolean): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Disconnects, as a client that goes away. */
  close(): void;
}

/** Reads an SSE response with a real parser (eventsource-parser). */
export async function openSse(url: string, init: RequestInit = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { ...init, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters: { pred: (e: SseEvent[]) => boolean; resolve: (e: SseEvent[]) => void; reject: (err: Error) => void }[] = [];
  let done = false;
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pred(events)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(events);
      } else if (done) {
        waiters.splice(waiters.indexOf(w), 1);
        w.reject(new Error(`stream ended before the condition held; got ${JSON.stringify(events.map((e) => `${e.event}#${e.id ?? ''}`))}`));
      }
    }
  };
  const parser = createParser({
    onEvent: (m: EventSourceMessage) => {
      events.push({ event: m.event ?? 'message', id: m.id, data: JSON.parse(m.data) });
      check();
    },
    onComment: (c) => comments.push(c.trim()),
  });
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        check();
      }
    } catch {
      /* aborted by close() */
    } finally {
      done = true;
      check();
    }
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    until: (pred) =>
      new Promise((resolve, reject) => {
        waiters.push({ pred, resolve, reject });
        check();
      }),
    ended,
    close: () => abort.abort(),
  };
}
