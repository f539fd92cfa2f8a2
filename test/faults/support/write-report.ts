import { writeReliabilityReport } from './reliability-report';

/** The faults Jest project's global teardown: docs/reliability.md is regenerated from the results just written. */
export default function writeReport(): void {
  writeReliabilityReport();
}
