export type ProjectFilter = { ids: Array<string>, statuses: Array<string>, types: Array<string>, search: string | null, };
