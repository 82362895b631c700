import { errorResponses } from '@licensing/platform';
import type { FastifyReply } from 'fastify';
import type { AssignmentView } from '../contracts.views';

/** What the contracts routes share in their OpenAPI description. */
export const readErrors = errorResponses(400, 401, 403, 404);
export const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415);

/** `Prefer: wait=N` (RFC 7240), capped; 0 when absent. */
export function preferredWaitMs(prefer: string | undefined, maxSeconds: number): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,6})"?/i.exec(prefer ?? '');
  return match?.[1] ? Math.min(Number(match[1]), maxSeconds) * 1000 : 0;
}

export const assignmentLocation = (partnerId: string, a: AssignmentView): string =>
  `/partners/${encodeURIComponent(partnerId)}/clients/${encodeURIComponent(a.clientId)}/assignments/${a.assignmentId}`;

/** 200 once final, `pendingStatus` while pending, with Location to poll; Preference-Applied when a wait was honoured. */
export function answerAssignment(
  reply: FastifyReply,
  partnerId: string,
  assignment: AssignmentView,
  waitMs: number,
  pendingStatus: 200 | 202,
): AssignmentView {
  if (waitMs > 0) reply.header('preference-applied', `wait=${waitMs / 1000}`);
  reply.header('location', assignmentLocation(partnerId, assignment));
  reply.status(assignment.status === 'pending' ? pendingStatus : 200);
  return assignment;
}
