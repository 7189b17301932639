import type { Profile } from "./Profile";
export type ProfileList = { profiles: Array<Profile>, defaultProfileId: string, };
