export const ContractsEvents = {} as const;

export const contractsSchemas: { $id: string }[] = [];
