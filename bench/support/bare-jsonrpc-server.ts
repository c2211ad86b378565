// Baseline for bench/stdio-rpc: bare vscode-jsonrpc over this process's stdio, one trivial method.
import { StreamMessageReader, StreamMessageWriter, createMessageConnection } from 'vscode-jsonrpc/node';

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
// bench/startup: the bare start-up baseline answers initialize (ACP's first request).
connection.onRequest('initialize', () => ({ protocolVersion: 1, agentCapabilities: {} }));
connection.onRequest('host/ping', (params: { data?: unknown } | undefined) => ({ pong: true, data: params?.data }));
connection.onClose(() => process.exit(0));
connection.listen();
