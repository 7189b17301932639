import type { BulkAction } from "./BulkAction";
import type { BulkTarget } from "./BulkTarget";
export type BulkRequest = { projectId: string, target: BulkTarget, action: BulkAction, };
