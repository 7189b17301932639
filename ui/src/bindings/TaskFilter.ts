import type { DateRange } from "./DateRange";
export type TaskFilter = { projectId: string, batchIds: Array<string>, statuses: Array<string>, taskIds: Array<string>, names: Array<string>, nameLike: string | null, createdAt: DateRange, updatedAt: DateRange, optionalFields: Array<string>, data: Array<[string, string]>, properties: Array<[string, string]>, };
