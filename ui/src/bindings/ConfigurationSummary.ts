import type { Label } from "./Label";
export type ConfigurationSummary = { projectType: string, sequence: boolean, labels: Array<Label>, iatInputIds: Array<string>, };
