import { defineConfig } from "vitest/config";

// `npm run mutate` (Stryker) runs in-process unit tests once per mutant: the files of the group
// being mutated (stryker.config.mjs sets MUTATE_TESTS). Tests that spawn the bundle never see a
// mutant, and the tshark/tcpdump/pcap-parser oracles in captures.test.ts take 45 s a run: both
// are left out by name.
const tests = process.env.MUTATE_TESTS?.split(",") ?? ["test/thresholds.test.ts", "test/findings-rules.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 20_000,
    globalSetup: ["test/helpers/global-setup.ts"],
    include: tests,
    testNamePattern: /^(?!.*(tshark|tcpdump|pcap-parser|the bundle|command line)).*$/,
  },
});
