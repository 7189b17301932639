import type { BulkResultRow } from "./BulkResultRow";
export type BulkResult = { rows: Array<BulkResultRow>, succeeded: number, failed: number, cancelled: boolean, };
