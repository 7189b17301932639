export type BulkAction = { "kind": "properties", score: number | null, custom: Record<string, unknown> | null, } | { "kind": "redo", reset: boolean, } | { "kind": "review" };
