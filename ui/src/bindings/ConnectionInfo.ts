import type { Profile } from "./Profile";
export type ConnectionInfo = { profile: Profile, endpoint: string, };
