export type TaskBrief = { id: string, name: string, status: string, };
