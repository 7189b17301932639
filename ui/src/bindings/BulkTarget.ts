import type { TaskFilter } from "./TaskFilter";
export type BulkTarget = { "kind": "selection", ids: Array<string>, } | { "kind": "filter", filter: TaskFilter, };
