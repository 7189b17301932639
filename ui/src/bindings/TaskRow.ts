export type TaskRow = { id: string, name: string, status: string, batchId: string, createdAt: string, updatedAt: string, lastAnnotator: string | null, score: number | null, doc: unknown, };
