/**
 * The profiled pass of `npm run bench`: after every measured scenario, a fresh app (role `all`) is profiled with
 * V8's sampling profiler over a short `get-cached` read of many payments and a short `create` until every payment
 * is settled, so that the report shows where the app's time goes for the targets it misses. Profiling costs the app
 * CPU and raises its RSS, so the pass judges nothing and its app is not in the memory watch.
 */
import path from 'node:path';
import { type ProfileSummary, summarizeProfile } from './cpu-profile';
import { type LoadedRoute, type LoadSettings, measureRoute, type RouteResult } from './measure';
import type { RedisCpuProbe } from './redis-cpu';
import type { ServerProcess } from './server-process';

const functionsKept = 15;

export interface ProfiledRun {
  /** The scenario it profiles, as the report names it (`get-cached, 1000 payments`, `create`). */
  scenario: string;
  /** Requests per second while profiled (lower than measured: the profiler costs CPU). */
  requestsPerSecond: number;
  /** What the profile covers. */
  window: string;
  profile: ProfileSummary;
}

export interface ProfiledPassRoute {
  scenario: string;
  route: LoadedRoute;
  /** Waited for before the profile stops (`create`: until every payment is settled), so the profile covers it. */
  afterLoad?: () => Promise<void>;
  window: string;
}

/** Profiles `server` over each route in turn (after its warm-up), writing `<directory>/profile-<n>.cpuprofile`. */
export async function runProfiledPass(
  server: ServerProcess,
  redis: RedisCpuProbe,
  settings: LoadSettings,
  directory: string,
  routes: readonly ProfiledPassRoute[],
): Promise<ProfiledRun[]> {
  const runs: ProfiledRun[] = [];
  for (const [index, { scenario, route, afterLoad, window }] of routes.entries()) {
    const file = path.join(directory, `profile-${index + 1}-${scenario.replace(/\W+/g, '-')}.cpuprofile`);
    let profiling = false;
    let run: RouteResult;
    try {
      run = await measureRoute(server, redis, settings, route, {
        beforeMeasured: async () => {
          await server.startProfile();
          profiling = true;
        },
      });
      await afterLoad?.();
    } finally {
      if (profiling) await server.stopProfile(file);
    }
    runs.push({
      scenario,
      requestsPerSecond: Math.round(run.requests.perSecond.average),
      window,
      profile: await summarizeProfile(file, functionsKept),
    });
  }
  return runs;
}
