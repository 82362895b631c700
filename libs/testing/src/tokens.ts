import { signToken, type RoleName } from '@licensing/platform';

/** The shared secret local runs and tests sign tokens with (never used outside them). */
export const TEST_JWT_SECRET = 'test-secret-for-local-runs-only-0123456789';

export const tokenFor = (claims: { partnerId?: string; roles?: RoleName[] }): Promise<string> => signToken(TEST_JWT_SECRET, claims);

export const bearer = async (claims: { partnerId?: string; roles?: RoleName[] }): Promise<{ authorization: string }> => ({
  authorization: `Bearer ${await tokenFor(claims)}`,
});
