import { rmSync } from 'node:fs';
import { screenshotsDirectory } from './chromium';

/** The browser Jest project's global setup: a run's screenshots are its own, none left over from an earlier run. */
export default function clearScreenshots(): void {
  rmSync(screenshotsDirectory, { recursive: true, force: true });
}
