export type StatusCount = { status: string, count: number, };
