export type LoadSummary = { loaded: number, total: number, cancelled: boolean, };
