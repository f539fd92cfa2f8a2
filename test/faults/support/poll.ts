const pollIntervalMs = 25;

/**
 * Polls `condition` until it holds (true) or `deadlineMs` passes (false): a fault test decides itself what a
 * missed deadline means, usually a figure or a failure line rather than a thrown error.
 */
export async function pollUntil(condition: () => boolean | Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
  }
  return true;
}
