import { answerOperation, errorResponses } from '@licensing/platform';

import type { FastifyReply } from 'fastify';
import type { AssignmentView } from '../contracts.views';

/** What the contracts routes share in their OpenAPI description. */
export const readErrors = errorResponses(400, 401, 403, 404);
export const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415);

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
  const location = assignmentLocation(partnerId, assignment);
  return answerOperation(reply, assignment, { pending: assignment.status === 'pending', location, waitMs, pendingStatus });
}
