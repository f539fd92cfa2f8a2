import { writeReliabilityReport } from './reliability-report';

// npm run reliability:report
if (!writeReliabilityReport()) process.exitCode = 1;
