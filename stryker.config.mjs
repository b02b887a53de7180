// `npm run mutate` (or `MUTATE_GROUPS="io findings" npm run mutate`): StrykerJS over the modules
// that decide what we accuse a network of. The scope is run in groups, each with the unit tests that exercise it in-process: a surviving
// mutant runs every test that covers it, so a group's tests must be the fast, focused ones (the
// whole set would take a day on two cores). Each group keeps its own incremental file and JSON
// report under reports/, so a rerun tests only what changed and groups can run one at a time.
// trust.test.ts and real-world.test.ts are left out: they analyse whole captures (5 s and more a
// run), and with 2,600 mutants in src/connections alone that is most of a day.
const GROUPS = {
  io: {
    mutate: ["src/capture/pcap.ts", "src/decode/tcp-options.ts"],
    tests: ["decode", "tcp-options", "pcap-reader", "resync-decoys", "reader-properties", "captures"],
  },
  // What each segment does to a connection's state: sequence space, holes, ACKs, flights, closing.
  tracking: {
    mutate: [
      "src/connections/{connection,endpoint,holes,quality,ack-history,seq,wscale,tracker,after-close,tuple-hash,server-profiles}.ts",
    ],
    tests: [
      "connections",
      "connection-accounting",
      "tracker",
      "endpoint",
      "server-profiles",
      "after-close",
      "holes",
      "ack-history",
      "thresholds",
      "findings-rules",
      "timeline",
      "captures",
    ],
  },
  // What a connection is summarised into: stacks, OS, the report's fields, charts.
  profiles: {
    mutate: ["src/connections/{os,stacks,summary,timeline,address,field-copier}.ts"],
    tests: [
      "stacks",
      "os",
      "os-rules",
      "timeline",
      "timeline-recorder",
      "connections",
      "connection-accounting",
      "captures",
    ],
  },
  findings: {
    mutate: ["src/findings/**/*.ts"],
    tests: [
      "thresholds",
      "findings-rules",
      "advice",
      "advice-units",
      "sampler",
      "synack-origin",
      "vantage",
      "catalogue",
      "os",
      "stacks",
      "captures",
    ],
  },
};

const name = process.env.MUTATE_GROUP ?? "findings";
const group = GROUPS[name];
if (!group) throw new Error(`MUTATE_GROUP: one of ${Object.keys(GROUPS).join(", ")}`);
// Read by vitest.mutate.config.ts in the test runner processes Stryker forks.
process.env.MUTATE_TESTS = group.tests.map((t) => `test/${t}.test.ts`).join(",");

export default {
  $schema: "./node_modules/@stryker-mutator/core/schema/stryker-schema.json",
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutate.config.ts" },
  coverageAnalysis: "perTest",
  mutate: group.mutate,
  // Messages are checked by the golden and snapshot tests, not here.
  mutator: { excludedMutations: ["StringLiteral"] },
  // A static mutant (a module-level constant) reruns every test: the threshold constants are
  // exported and checked on both sides by thresholds.test.ts instead.
  ignoreStatic: true,
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 2),
  incremental: true,
  incrementalFile: `reports/stryker-incremental.${name}.json`,
  // Added to each mutant's expected test time: a mutant that loops forever costs this much.
  timeoutMS: 5000,
  reporters: ["clear-text", "progress-append-only", "json"],
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  tempDirName: ".stryker-tmp",
  cleanTempDir: "always",
};
