export type Profile = { id: string, name: string, endpoint: string, accessId: string, builtin: boolean, };
