import { expect } from 'chai';
import { ErrorCodes, RpcError, httpStatusFor, toRpcError } from '../../src/host/errors.js';

describe('errors', () => {
  it('maps JSON-RPC codes to HTTP statuses in one place', () => {
    expect(httpStatusFor(ErrorCodes.InvalidParams)).to.equal(400);
    expect(httpStatusFor(ErrorCodes.Unauthorized)).to.equal(401);
    expect(httpStatusFor(ErrorCodes.Forbidden)).to.equal(403);
    expect(httpStatusFor(ErrorCodes.NotFound)).to.equal(404);
    expect(httpStatusFor(ErrorCodes.Conflict)).to.equal(409);
    expect(httpStatusFor(ErrorCodes.PayloadTooLarge)).to.equal(413);
    expect(httpStatusFor(ErrorCodes.InternalError)).to.equal(500);
    expect(httpStatusFor(-32099)).to.equal(500);
  });

  it('turns unknown errors into a message that names no internals', () => {
    const mapped = toRpcError(new Error('ENOENT: /home/alice/.config/secret-token'));
    expect(mapped.code).to.equal(ErrorCodes.InternalError);
    expect(mapped.message).not.to.contain('alice');
    expect(mapped.stack).not.to.equal(undefined);
    expect(JSON.stringify(mapped)).not.to.contain('alice');
  });

  it('keeps RpcErrors and maps aborts to cancellation', () => {
    const own = RpcError.notFound('session "x"');
    expect(toRpcError(own)).to.equal(own);
    const abort = toRpcError(Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }));
    expect(abort.code).to.equal(ErrorCodes.RequestCancelled);
  });
});
