import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestRunEndReason, Vitest } from 'vitest/node';

export interface RunCounts {
  passed: number;
  failed: number;
}

/**
 * Counts test cases for CI's closing line. Anything not passed is a failure: a failed or skipped
 * test, a file that failed to load or whose hooks failed, an unhandled error, an interrupted run.
 * Under a name filter (`-t`), the tests it left out are not counted at all.
 */
export function countResults(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
  nameFiltered = false,
): RunCounts {
  let passed = 0;
  let failed = 0;
  for (const testModule of testModules) {
    let moduleFailures = 0;
    for (const testCase of testModule.children.allTests()) {
      const { state } = testCase.result();
      if (state === 'passed') passed++;
      else if (!(nameFiltered && state === 'skipped')) moduleFailures++;
    }
    // A file that did not load has no tests; one whose beforeAll/afterAll failed may have all
    // tests passed. Either way the file counts as one failure more than its tests show.
    if (moduleFailures === 0 && (testModule.state() !== 'passed' || testModule.errors().length > 0)) moduleFailures = 1;
    failed += moduleFailures;
  }
  failed += unhandledErrors.length;
  if (reason === 'interrupted' && failed === 0) failed = 1;
  return { passed, failed };
}

export function summaryLine({ passed, failed }: RunCounts): string {
  return `${passed} passed, ${failed} failed`;
}

/** Prints `N passed, N failed` as the last line of the run (test/run.ts keeps it last). */
export default class SummaryReporter implements Reporter {
  #nameFiltered = false;

  onInit(vitest: Vitest): void {
    this.#nameFiltered = vitest.config.testNamePattern !== undefined;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>, reason: TestRunEndReason): void {
    process.stdout.write(`\n${summaryLine(countResults(testModules, unhandledErrors, reason, this.#nameFiltered))}\n`);
  }
}
