import { defineConfig } from "vitest/config";

// `npm run mutate` (Stryker) runs these in-process unit tests once per mutant: the files that
// exercise the mutated modules directly. Tests that spawn the bundle never see a mutant, and the
// tshark/tcpdump/pcap-parser oracles in captures.test.ts take 45 s a run: both are left out.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    globalSetup: ["test/helpers/global-setup.ts"],
    include: [
      "test/thresholds.test.ts",
      "test/findings-rules.test.ts",
      "test/connections.test.ts",
      "test/decode.test.ts",
      "test/tcp-options.test.ts",
      "test/pcap-reader.test.ts",
      "test/resync-decoys.test.ts",
      "test/reader-properties.test.ts",
      "test/captures.test.ts",
    ],
    testNamePattern: /^(?!.*(tshark|tcpdump|pcap-parser)).*$/,
  },
});
