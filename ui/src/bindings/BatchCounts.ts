import type { Batch } from "./Batch";
import type { StatusCount } from "./StatusCount";
export type BatchCounts = { batch: Batch, counts: Array<StatusCount>, total: number, };
