export type Project = { id: string, name: string, projectType: string | null, status: string | null, createdAt: string | null, updatedAt: string | null, };
