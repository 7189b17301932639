export type DateRange = { gt: string | null, gte: string | null, lt: string | null, lte: string | null, };
