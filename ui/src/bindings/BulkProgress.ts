export type BulkProgress = { phase: string, done: number, failed: number, total: number, };
