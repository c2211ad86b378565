import type { Writable } from 'node:stream';
import type { PeerFlow } from '../../host/client.js';

/**
 * The PeerFlow of a Node Writable (a socket, stdout) with `extra()` bytes the transport holds
 * in front of it (a batch waiting for the next tick). Past the stream's high-water mark its
 * `drain` event is due; below it, the next check phase is soon enough to look again.
 */
export function writableFlow(stream: () => Writable | undefined, extra: () => number = () => 0): PeerFlow {
  return {
    queuedBytes: () => extra() + (stream()?.writableLength ?? 0),
    onceDrained(listener) {
      const w = stream();
      if (w && w.writableNeedDrain && !w.destroyed) {
        const off = () => {
          w.off('drain', once);
          w.off('close', once);
        };
        const once = () => {
          off();
          listener();
        };
        w.on('drain', once);
        w.on('close', once);
        return { dispose: off };
      }
      const timer = setImmediate(listener);
      return { dispose: () => clearImmediate(timer) };
    },
  };
}
