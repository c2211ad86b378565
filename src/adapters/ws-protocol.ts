/**
 * What the WebSocket adapter and the HTTP adapter (which authenticates the upgrade) agree on,
 * kept here so that neither imports the other.
 */

/** A browser offers `bearer.<token>` beside the real subprotocol (it cannot set headers). */
export const WS_TOKEN_PROTOCOL_PREFIX = 'bearer.';
/** The subprotocol the server selects for JSON-RPC over WebSocket. */
export const WS_SUBPROTOCOL = 'switchboard.jsonrpc';
