import { describe, expect, it, vi } from "vitest";

vi.mock("@tauri-apps/api/core", () => ({
  invoke: vi.fn(() => Promise.resolve(null)),
}));

const { connectivity, noteCallError } = await import("./diagnostics");

describe("offline detection", () => {
  it("ignores failures about a profile draft and goes offline for the app's connection", () => {
    noteCallError("test_connection", { kind: "unreachable", message: "draft endpoint down" });
    noteCallError("add_profile", { kind: "unreachable", message: "draft endpoint down" });
    expect(connectivity().offline).toBe(false);
    noteCallError("load_tasks", { kind: "wrongCredentials", message: "nope" });
    expect(connectivity().offline).toBe(false);
    noteCallError("list_projects", { kind: "unreachable", message: "server down" });
    expect(connectivity().offline).toBe(true);
    expect(connectivity().message).toBe("server down");
  });
});
