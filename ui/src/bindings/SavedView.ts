export type SavedView = { name: string, form: unknown, view: string, columns: Array<string>, };
