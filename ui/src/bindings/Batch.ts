export type Batch = { id: string, name: string, projectId: string | null, status: string | null, createdAt: string | null, updatedAt: string | null, };
