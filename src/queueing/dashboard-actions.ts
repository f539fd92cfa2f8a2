import type { BoardHooks, HookContext } from '@bull-board/api/typings/app';

/**
 * What the dashboard may do: read everything, and retry failed jobs (the dead letters), one by one or all of a
 * queue's at once. Pausing, emptying, cleaning, adding, editing, promoting, obliterating and retrying completed
 * jobs (which would run a finished payment or webhook delivery again) are refused, even with credentials.
 *
 * Bull Board's own `readOnlyMode` cannot express this: it forces `allowRetries` off and its retry handlers refuse
 * read-only queues with 405, so the queues are registered writable and this allowlist, run by Bull Board before
 * every API handler on the route pattern it matched, is what keeps the dashboard read-only.
 */
const retryJobRoute = '/api/queues/:queueName/:jobId/retry';
const retryAllRoute = '/api/queues/:queueName/retry/:queueStatus';

export type DashboardAction =
  { kind: 'read' } | { kind: 'retry-job' } | { kind: 'retry-all'; queueStatus: string } | { kind: 'other' };

/** Classifies a Bull Board API call by its route pattern (as Bull Board declares it), method and parameters. */
export function dashboardActionOf(method: string, route: string, params: Record<string, unknown>): DashboardAction {
  const verb = method.toLowerCase();
  if (verb === 'get') return { kind: 'read' };
  if (verb === 'put' && route === retryJobRoute) return { kind: 'retry-job' };
  if (verb === 'put' && route === retryAllRoute) return { kind: 'retry-all', queueStatus: String(params.queueStatus) };
  return { kind: 'other' };
}

/** Whether an action is allowed; a single job's retry also needs the job's current state. */
export function dashboardActionAllowed(action: DashboardAction, jobState?: string): boolean {
  switch (action.kind) {
    case 'read':
      return true;
    case 'retry-job':
      return jobState === 'failed';
    case 'retry-all':
      return action.queueStatus === 'failed';
    case 'other':
      return false;
  }
}

async function jobStateOf(context: HookContext): Promise<string | undefined> {
  const { queueName, jobId } = context.request.params as { queueName?: string; jobId?: string };
  if (queueName === undefined || jobId === undefined) return undefined;
  const job = await context.request.queues.get(queueName)?.getJob(jobId);
  return job ? await job.getState() : undefined;
}

/** Bull Board's `handlerHooks`: refuses what `dashboardActionAllowed` does not allow, the way read-only queues are. */
export const dashboardHandlerHooks: BoardHooks = {
  async before(context) {
    const action = dashboardActionOf(context.method, context.route, context.request.params);
    const jobState = action.kind === 'retry-job' ? await jobStateOf(context) : undefined;
    if (dashboardActionAllowed(action, jobState)) return { allow: true };
    return { allow: false, status: 405, errorKey: 'ERRORS.QUEUE_READ_ONLY' };
  },
};
