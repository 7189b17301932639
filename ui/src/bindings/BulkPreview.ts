import type { TaskBrief } from "./TaskBrief";
export type BulkPreview = { count: number, sample: Array<TaskBrief>, };
