// Prints vitest's outcome from its JSON report in plain lines at the very end of the log: each
// failed test (file, name, the first line of its failure) and then the totals ("vitest: N passed,
// N failed, N skipped"), so a reader who sees only the log's tail still learns what failed.
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface Assertion { fullName: string; status: string; failureMessages?: string[] }
interface FileResult { name: string; status: string; message?: string; assertionResults: Assertion[] }
interface Report { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number; testResults: FileResult[] }

const MAX_LISTED = 10;
const firstLine = (text: string | undefined): string => (text ?? "").split("\n").find((line) => line.trim() !== "")?.trim().slice(0, 300) ?? "";

const file = process.argv[2];
try {
  const report = JSON.parse(readFileSync(file, "utf8")) as Report;
  const failures: string[] = [];
  for (const result of report.testResults) {
    const where = relative(process.cwd(), result.name);
    if (result.status === "failed" && result.message) failures.push(`${where}: ${firstLine(result.message)}`);
    for (const test of result.assertionResults) {
      if (test.status === "failed") failures.push(`${where} > ${test.fullName}: ${firstLine(test.failureMessages?.[0])}`);
    }
  }
  for (const line of failures.slice(0, MAX_LISTED)) console.log(`FAILED ${line}`);
  if (failures.length > MAX_LISTED) console.log(`FAILED ... and ${failures.length - MAX_LISTED} more`);
  console.log(`vitest: ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests + report.numTodoTests} skipped`);
} catch (err) {
  console.log(`vitest: no report at ${file} (${(err as Error).message})`);
}
