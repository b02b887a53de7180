import { configDefaults, defineConfig } from "vitest/config";

// Tests that build network namespaces or drive a browser run one file at a time, after all the
// others have finished: they time real transfers (live mode must report a crawl while it crawls)
// and want the machine's two cores. Every other file runs in parallel.
const SYSTEM = ["test/**/*.root.test.ts", "test/**/*.browser.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 120_000,
    globalSetup: ["test/helpers/global-setup.ts"],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...configDefaults.exclude, ...SYSTEM],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: "system", include: SYSTEM, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
