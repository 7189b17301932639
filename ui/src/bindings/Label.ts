export type Label = { id: string, name: string, color: string | null, bChannel: number | null, list: string, };
