export type AppErrorKind = "wrongCredentials" | "expired" | "unreachable" | "keychain" | "forbidden" | "notFound" | "badInput" | "server" | "cancelled" | "notConnected" | "internal";
