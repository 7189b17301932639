import type { AppErrorKind } from "./AppErrorKind";
export type AppError = { kind: AppErrorKind, message: string, };
