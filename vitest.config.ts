import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    // Namespace tests share the kernel's netns list; run files one at a time there, tests in a file in order.
    fileParallelism: true,
  },
});
