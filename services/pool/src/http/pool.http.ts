import { errorResponses } from '@licensing/platform';

/** What the pool's routes share in their OpenAPI description. */
export const readErrors = errorResponses(400, 401, 403, 404);
export const writeErrors = errorResponses(400, 401, 403, 404, 409, 413, 415);
