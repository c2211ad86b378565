// Baseline for bench/ws-rpc: bare vscode-jsonrpc over `ws`, one trivial method; prints its port.
import { createMessageConnection } from 'vscode-jsonrpc/node';
import { WebSocketServer } from 'ws';
import { WsReader, WsWriter } from './ws-jsonrpc.js';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('connection', (ws) => {
  const connection = createMessageConnection(new WsReader(ws), new WsWriter(ws));
  connection.onRequest('host/ping', (params: { data?: unknown } | undefined) => ({ pong: true, data: params?.data }));
  connection.listen();
});
wss.on('listening', () => {
  const addr = wss.address() as { port: number };
  process.stderr.write(`listening on ws://127.0.0.1:${addr.port}\n`);
});
