export const TABLE_BEGIN: string;
export const TABLE_END: string;
export function renderProtocolJson(protocol: unknown): string;
export function renderConstantsTable(protocol: unknown): string;
export function replaceConstantsTable(text: string, table: string): string;
