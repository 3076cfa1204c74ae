import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: e2e files each run their own emulator; keep parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
