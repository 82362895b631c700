/** The contracts context's stable refusal codes, in HTTP answers and in the reasons of its events. */
export const ContractsCodes = {
  familyRule: 'CONTRACTS.FAMILY_RULE',
  moduleNotCompatible: 'CONTRACTS.MODULE_NOT_COMPATIBLE',
  moduleExceedsProduct: 'CONTRACTS.MODULE_EXCEEDS_PRODUCT',
  renewalTooEarly: 'CONTRACTS.RENEWAL_TOO_EARLY',
  contractExpired: 'CONTRACTS.CONTRACT_EXPIRED',
  contractCancelled: 'CONTRACTS.CONTRACT_CANCELLED',
  termMismatch: 'CONTRACTS.TERM_MISMATCH',
  trialNotRenewable: 'CONTRACTS.TRIAL_NOT_RENEWABLE',
  notGroupable: 'CONTRACTS.NOT_GROUPABLE',
  noFreeLicense: 'CONTRACTS.NO_FREE_LICENSE',
  notATrial: 'CONTRACTS.NOT_A_TRIAL',
  trialEnded: 'CONTRACTS.TRIAL_ENDED',
  trialExtendedAlready: 'CONTRACTS.TRIAL_EXTENDED_ALREADY',
  trialBlocked: 'CONTRACTS.TRIAL_BLOCKED',
  tooManyDevices: 'CONTRACTS.TOO_MANY_DEVICES',
} as const;

export type ContractsCode = (typeof ContractsCodes)[keyof typeof ContractsCodes];
