import type { TaskFilter } from "./TaskFilter";
import type { TaskView } from "./TaskView";
export type TaskQuery = { filter: TaskFilter, view: TaskView, };
