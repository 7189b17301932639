export type BulkResultRow = { taskId: string, ok: boolean, status: string, message: string, };
