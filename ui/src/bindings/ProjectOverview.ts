import type { BatchCounts } from "./BatchCounts";
import type { ConfigurationSummary } from "./ConfigurationSummary";
import type { Project } from "./Project";
export type ProjectOverview = { project: Project, summary: ConfigurationSummary, batches: Array<BatchCounts>, };
