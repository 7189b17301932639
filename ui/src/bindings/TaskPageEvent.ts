import type { TaskRow } from "./TaskRow";
export type TaskPageEvent = { rows: Array<TaskRow>, loaded: number, total: number, };
