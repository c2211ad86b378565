// JSON-RPC 2.0 over the daemon's /ws, reconnecting with backoff. Browsers cannot set headers on a
// WebSocket, so the token rides in a subprotocol entry (`bearer.<token>`).

export class RpcError extends Error {
  constructor(message: string, readonly code?: number, readonly data?: unknown) {
    super(message);
  }
}

/** The request was lost with the connection (it may still be running on the daemon). */
export class ConnectionLost extends RpcError {
  constructor() {
    super('not connected to the daemon');
  }
}

interface Pending {
  resolve: (v: any) => void;
  reject: (e: Error) => void;
}

export interface RpcHandlers {
  open(): void | Promise<void>;
  close(why: string, retryInMs: number): void;
  notification(method: string, params: any): void;
  /** A request from the server (permission prompts); its answer is sent back. */
  serverRequest(id: number | string, method: string, params: any): Promise<unknown>;
  /** The server withdrew one of its requests (another client answered it, or it timed out). */
  withdrawn(id: number | string): void;
}

export class Rpc {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private retries = 0;

  constructor(private readonly token: string, private readonly on: RpcHandlers) {}

  connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws`, ['switchboard.jsonrpc', `bearer.${this.token}`]);
    this.ws = ws;
    ws.onopen = () => {
      this.retries = 0;
      void this.on.open();
    };
    ws.onmessage = (e) => this.onFrame(String(e.data));
    ws.onclose = (e) => this.onClose(e);
  }

  request<T = any>(method: string, params: unknown): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.ws?.readyState !== WebSocket.OPEN) return reject(new ConnectionLost());
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ jsonrpc: '2.0', method, params });
  }

  private send(message: unknown): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private onFrame(text: string): void {
    let m: any;
    try {
      m = JSON.parse(text);
    } catch {
      return;
    }
    if (m.method && m.id !== undefined) return void this.answer(m);
    // LSP and ACP spell the withdrawal differently; the daemon sends both.
    if (m.method === '$/cancelRequest' || m.method === '$/cancel_request') return this.on.withdrawn(m.params?.id ?? m.params?.requestId);
    if (m.method) return this.on.notification(m.method, m.params);
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.error) p.reject(new RpcError(m.error.message, m.error.code, m.error.data));
    else p.resolve(m.result);
  }

  private async answer(m: any): Promise<void> {
    try {
      const result = await this.on.serverRequest(m.id, m.method, m.params);
      this.send({ jsonrpc: '2.0', id: m.id, result });
    } catch (err) {
      const e = err as RpcError;
      this.send({ jsonrpc: '2.0', id: m.id, error: { code: e.code ?? -32603, message: e.message } });
    }
  }

  private onClose(e: CloseEvent): void {
    for (const p of this.pending.values()) p.reject(new ConnectionLost());
    this.pending.clear();
    const why = e.code === 4008 ? 'this page fell behind and was dropped' : e.code === 1001 ? 'the daemon stopped' : `connection lost (${e.code})`;
    const delay = Math.min(10000, 500 * 2 ** this.retries++);
    this.on.close(why, delay);
    setTimeout(() => this.connect(), delay);
  }
}
