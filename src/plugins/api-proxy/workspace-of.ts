import { RpcError } from '../../host/errors.js';
import type { SessionService } from '../sessions/contract.js';

/** The session named by `?session_id=` (or a given id): its workspace, or 400/404. */
export function workspaceOf(sessions: SessionService, request: Request, given?: string | null): { sessionId: string; workspace: string } {
  const sessionId = given ?? new URL(request.url).searchParams.get('session_id');
  if (!sessionId) throw RpcError.invalidParams('say which session\'s workspace: add ?session_id=<id>');
  const info = sessions.get(sessionId);
  if (!info) throw RpcError.notFound(`session "${sessionId}"`, { sessionId });
  return { sessionId, workspace: info.workspace };
}
