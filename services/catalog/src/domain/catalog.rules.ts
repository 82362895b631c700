import type { Term } from '@licensing/events';

export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9-]{1,39}$/;
export const FAMILY_CODE_PATTERN = /^[a-z0-9][a-z0-9-]{1,39}$/;
export const ANNUAL_TERMS: readonly Term[] = [12, 24, 36];
export const MONTHLY_TERM: Term = 1;
