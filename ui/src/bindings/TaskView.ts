export type TaskView = "raw" | "lab" | "kili";
