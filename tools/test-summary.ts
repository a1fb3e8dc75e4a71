// Prints vitest's totals from its JSON report as one plain line ("vitest: N passed, N failed,
// N skipped"), so any reader of the CI log finds the outcome on its last line.
import { readFileSync } from "node:fs";

const file = process.argv[2];
try {
  const report = JSON.parse(readFileSync(file, "utf8")) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
  console.log(`vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
} catch (err) {
  console.log(`vitest: no report at ${file} (${(err as Error).message})`);
}
