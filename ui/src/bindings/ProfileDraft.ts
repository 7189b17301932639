export type ProfileDraft = { name: string, endpoint: string, accessId: string, secretKey: string, };
