// deploy/kubernetes/base, rendered as `kubectl apply -k` would apply it (`kubectl kustomize` where installed, else
// assembled from its files), against what the app and docs/scaling.md say: a Deployment per APP_ROLE, probes on the
// health routes of the port the app listens on, a grace period the app's own shutdown fits in, the migrations as a
// Job, PodDisruptionBudgets that let a node drain, the resources docs/scaling.md sizes from the benchmark, only
// variables the app reads, and no secret in the repository. No cluster is needed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AppConfigValues, parseConfig } from '../src/config/config.schema';
import {
  baseDirectory,
  bytes,
  configSchemaVariables,
  type Container,
  environmentOf,
  generatedConfigMapNames,
  markdownTable,
  millicores,
  type PodTemplate,
  renderBase,
  renderByParsing,
  renderWithKubectl,
  repositoryRoot,
  type Resource,
  variablesSetBy,
  withoutGeneratedHashes,
} from './support/kubernetes-manifests';

const roles = ['api', 'worker', 'relay'] as const;
const scalingDoc = join(repositoryRoot, 'docs', 'scaling.md');
const rendering = renderBase(baseDirectory);
const { resources } = rendering;

// What the operator's Secret payments-secrets would hold: values of the right shape, never in the repository.
const requiredSecrets: Record<string, string> = {
  ADMIN_TOKEN: 'a'.repeat(48),
  CARD_VAULT_KEY: '1f'.repeat(32),
  FINGERPRINT_KEY: '2e'.repeat(32),
  DATABASE_URL: 'postgres://payments:placeholder@pgbouncer:6432/payments',
  REDIS_URL: 'redis://:placeholder@redis-queue:6379',
  CACHE_REDIS_URL: 'redis://:placeholder@redis-cache:6379',
  RABBITMQ_URL: 'amqp://payments:placeholder@rabbitmq-0:5672,amqp://payments:placeholder@rabbitmq-1:5672',
};
// Keys the operator may leave out (PostgreSQL without PgBouncer, no replica, no rotated key).
const optionalSecrets: Record<string, string> = {
  DATABASE_DIRECT_URL: 'postgres://payments:placeholder@postgres:5432/payments',
  DATABASE_REPLICA_URL: 'postgres://payments:placeholder@postgres-replica:5432/payments',
  CARD_VAULT_PREVIOUS_KEYS: '3d'.repeat(32),
};
const placeholderSecrets = { ...requiredSecrets, ...optionalSecrets };
const secretValue = (name: string, key: string): string | undefined =>
  name === 'payments-secrets' ? placeholderSecrets[key] : undefined;

// Variables whose values are credentials, or URLs that carry them: only ever from a Secret.
const credentialName = /(TOKEN|KEY|KEYS|PASSWORD|SECRET|URL)$/;

const ofKind = (kind: string) => resources.filter((resource) => resource.kind === kind);
const named = (kind: string, name: string): Resource => {
  const found = ofKind(kind).find((resource) => resource.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendering`);
  return found;
};
const templateOf = (resource: Resource): PodTemplate => {
  const template = resource.spec?.template;
  if (!template) throw new Error(`${resource.kind} ${resource.metadata.name} has no pod template`);
  return template;
};
const onlyContainer = (resource: Resource): Container => {
  const containers = templateOf(resource).spec.containers;
  expect(containers).toHaveLength(1);
  return containers[0] as Container;
};
/** How long the preStop hook holds the pod before SIGTERM: a `sleep` action or `sleep N` command; 0 without one. */
const preStopPauseSeconds = (container: Container): number => {
  const preStop = container.lifecycle?.preStop;
  if (!preStop) return 0;
  if (preStop.sleep) return preStop.sleep.seconds;
  const command = preStop.exec?.command ?? [];
  if (command.length === 2 && command[0] === 'sleep' && /^[0-9]+$/.test(command[1] ?? '')) return Number(command[1]);
  throw new Error(`a preStop hook of unknown length: ${JSON.stringify(preStop)}`);
};
const workloads = () => [...ofKind('Deployment'), ...ofKind('Job')];
const configOf = (container: Container): AppConfigValues =>
  parseConfig(environmentOf(container, resources, secretValue));
const deploymentOf = (role: string) =>
  ofKind('Deployment').find(
    (deployment) => environmentOf(onlyContainer(deployment), resources, secretValue).APP_ROLE === role,
  );
const selects = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);
const matchLabelsOf = (resource: Resource): Record<string, string> => {
  const selector = resource.spec?.selector ?? {};
  return 'matchLabels' in selector
    ? (selector.matchLabels as Record<string, string>)
    : (selector as Record<string, string>);
};

describe(`deploy/kubernetes/base (rendered by ${rendering.by})`, () => {
  it('renders the same resources by parsing as kubectl does, so CI without kubectl checks the same thing', () => {
    const byKubectl = renderWithKubectl(baseDirectory);
    if (!byKubectl) {
      // No kubectl here: the checks below run on the parsed rendering; this one needs both.
      expect(rendering.by).toBe('parsing');
      return;
    }
    const key = (resource: Resource) => `${resource.kind}/${resource.metadata.name}`;
    const sorted = (list: Resource[]) => [...list].sort((a, b) => key(a).localeCompare(key(b)));
    expect(sorted(withoutGeneratedHashes(byKubectl, generatedConfigMapNames(baseDirectory)))).toEqual(
      sorted(renderByParsing(baseDirectory)),
    );
  });

  it('runs one Deployment per role, each with its APP_ROLE, all from the one image the Job runs too', () => {
    const deployments = ofKind('Deployment');
    expect(deployments.map((deployment) => configOf(onlyContainer(deployment)).role).sort()).toEqual([...roles].sort());
    const images = new Set(workloads().map((workload) => onlyContainer(workload).image));
    expect(images.size).toBe(1);
  });

  it('starts every process in production mode, accepted by the app’s own configuration check', () => {
    for (const workload of workloads()) {
      const config = configOf(onlyContainer(workload));
      expect(config.production).toBe(true);
    }
  });

  it('probes liveness on /health/live and readiness on /health/ready, on the port the app listens on', () => {
    for (const role of roles) {
      const deployment = deploymentOf(role);
      if (!deployment) throw new Error(`no Deployment with APP_ROLE=${role}`);
      const container = onlyContainer(deployment);
      const listening = configOf(container).port;
      const portOf = (port: string | number | undefined): number | undefined =>
        typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
      expect(container.ports?.map((port) => port.containerPort)).toEqual([listening]);
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(portOf(container.livenessProbe?.httpGet?.port)).toBe(listening);
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(portOf(container.readinessProbe?.httpGet?.port)).toBe(listening);
      if (container.startupProbe) {
        expect(container.startupProbe.httpGet?.path).toBe('/health/live');
        expect(portOf(container.startupProbe.httpGet?.port)).toBe(listening);
      }
    }
  });

  it('gives every pod a termination grace period longer than its preStop pause plus SHUTDOWN_TIMEOUT_MS', () => {
    for (const deployment of ofKind('Deployment')) {
      const container = onlyContainer(deployment);
      const preStopSeconds = preStopPauseSeconds(container);
      // Kubernetes' default grace period is 30 s: the manifest states its own.
      const grace = templateOf(deployment).spec.terminationGracePeriodSeconds;
      expect(grace).toBeGreaterThan(preStopSeconds + configOf(container).shutdownTimeoutMs / 1000);
    }
    // The api is behind a Service: it keeps serving while its endpoint's removal propagates.
    const api = onlyContainer(deploymentOf('api') as Resource);
    expect(api.lifecycle?.preStop).toBeDefined();
  });

  it('gives what needs a PostgreSQL session of its own the direct URL, and the replica to the api only', () => {
    // Every role migrates at start (advisory lock, DDL) and the relay LISTENs: through PgBouncer in transaction mode
    // neither works, so each takes DATABASE_DIRECT_URL when the Secret has it.
    for (const workload of workloads()) {
      const config = configOf(onlyContainer(workload));
      expect({ workload: workload.metadata.name, direct: config.database.directUrl }).toEqual({
        workload: workload.metadata.name,
        direct: optionalSecrets.DATABASE_DIRECT_URL,
      });
      // The replica serves the api's list endpoints; elsewhere it would only open a pool and a readiness check.
      expect({ workload: workload.metadata.name, replica: config.database.replicaUrl }).toEqual({
        workload: workload.metadata.name,
        replica:
          config.role === 'api' && workload.kind === 'Deployment' ? optionalSecrets.DATABASE_REPLICA_URL : undefined,
      });
    }
  });

  it('takes a Redis Cluster through the same Secret keys, as redis+cluster:// URLs: no manifest changes', () => {
    const clusterSecrets: Record<string, string> = {
      ...placeholderSecrets,
      REDIS_URL: 'redis+cluster://:placeholder@redis-queue-0:6379,redis-queue-1:6379,redis-queue-2:6379',
      CACHE_REDIS_URL: 'rediss+cluster://:placeholder@redis-cache-0:6380,redis-cache-1:6380',
    };
    for (const workload of workloads()) {
      const environment = environmentOf(onlyContainer(workload), resources, (name, key) =>
        name === 'payments-secrets' ? clusterSecrets[key] : undefined,
      );
      const { redis } = parseConfig(environment);
      expect([redis.queue.mode, redis.cache.mode]).toEqual(['cluster', 'cluster']);
    }
  });

  it('runs the migrations as a Job, with the command `npm run migrate` runs', () => {
    const jobs = ofKind('Job');
    expect(jobs).toHaveLength(1);
    const job = jobs[0] as Resource;
    const command = [...(onlyContainer(job).command ?? []), ...(onlyContainer(job).args ?? [])];
    expect(command).toEqual(['node', 'dist/database/migrate.cli.js']);
    const scripts = (
      JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts.migrate).toContain(command.join(' '));
    expect(['Never', 'OnFailure']).toContain(templateOf(job).spec.restartPolicy);
  });

  it('has a PodDisruptionBudget for every Deployment of two or more pods, one that still lets a node drain', () => {
    const budgets = ofKind('PodDisruptionBudget');
    for (const deployment of ofKind('Deployment')) {
      const replicas = deployment.spec?.replicas ?? 1;
      const labels = templateOf(deployment).metadata?.labels;
      const mine = budgets.filter((budget) => selects(matchLabelsOf(budget), labels));
      if (replicas < 2) {
        // One pod: a budget could only block every drain.
        expect(mine).toEqual([]);
        continue;
      }
      expect(mine).toHaveLength(1);
      const budget = (mine[0] as Resource).spec ?? {};
      if (budget.maxUnavailable !== undefined) {
        expect(budget.maxUnavailable).toBeGreaterThanOrEqual(1);
        expect(budget.maxUnavailable).toBeLessThan(replicas);
      } else {
        expect(budget.minAvailable).toBeGreaterThanOrEqual(1);
        expect(budget.minAvailable).toBeLessThan(replicas);
      }
    }
    // No budget selects pods of another component (or nothing at all).
    for (const budget of budgets) {
      const selected = ofKind('Deployment').filter((deployment) =>
        selects(matchLabelsOf(budget), templateOf(deployment).metadata?.labels),
      );
      expect(selected).toHaveLength(1);
    }
  });

  it('routes the api Service to the api pods only, on their HTTP port', () => {
    const services = ofKind('Service');
    expect(services).toHaveLength(1);
    const service = services[0] as Resource;
    const selected = ofKind('Deployment').filter((deployment) =>
      selects(matchLabelsOf(service), templateOf(deployment).metadata?.labels),
    );
    expect(selected.map((deployment) => configOf(onlyContainer(deployment)).role)).toEqual(['api']);
    const api = onlyContainer(selected[0] as Resource);
    for (const port of service.spec?.ports ?? []) {
      expect(
        api.ports?.some(
          (candidate) => candidate.name === port.targetPort || candidate.containerPort === port.targetPort,
        ),
      ).toBe(true);
    }
  });

  it('requests and limits exactly the resources docs/scaling.md sizes from the benchmark', () => {
    const table = markdownTable(scalingDoc, 'kubernetes-resources');
    expect(table.map((row) => row.workload).sort()).toEqual(
      workloads()
        .map((workload) => workload.metadata.name)
        .sort(),
    );
    for (const row of table) {
      const workload = workloads().find((candidate) => candidate.metadata.name === row.workload) as Resource;
      const { requests = {}, limits = {} } = onlyContainer(workload).resources ?? {};
      expect({
        workload: row.workload,
        replicas: workload.kind === 'Job' ? '–' : String(workload.spec?.replicas ?? 1),
        cpuRequest: millicores(requests.cpu ?? NaN),
        cpuLimit: millicores(limits.cpu ?? NaN),
        memoryRequest: bytes(requests.memory ?? NaN),
        memoryLimit: bytes(limits.memory ?? NaN),
      }).toEqual({
        workload: row.workload,
        replicas: row.replicas,
        cpuRequest: millicores(row['CPU request'] ?? ''),
        cpuLimit: millicores(row['CPU limit'] ?? ''),
        memoryRequest: bytes(row['memory request'] ?? ''),
        memoryLimit: bytes(row['memory limit'] ?? ''),
      });
    }
  });

  it('requests at least the memory each role used in the benchmark, and limits it above the V8 heap cap', () => {
    const bench = JSON.parse(readFileSync(join(repositoryRoot, 'bench', 'results', 'bench.json'), 'utf8')) as {
      memory: { highestMegabytes: Record<string, number> };
    };
    // The image's NODE_OPTIONS: V8's heap is at most the old space plus three semi-spaces (two, and the new large
    // object space), so past that the process fails with V8's own out-of-memory error rather than a kernel kill.
    const nodeOptions =
      /ENV NODE_OPTIONS="([^"]+)"/.exec(readFileSync(join(repositoryRoot, 'Dockerfile'), 'utf8'))?.[1] ?? '';
    const flag = (name: string) => Number(new RegExp(`--${name}=([0-9]+)`).exec(nodeOptions)?.[1]);
    const heapCapBytes = (flag('max-old-space-size') + 3 * flag('max-semi-space-size')) * 2 ** 20;
    expect(heapCapBytes).toBeGreaterThan(0);
    for (const role of roles) {
      const measured = Object.entries(bench.memory.highestMegabytes)
        .filter(([process]) => process === role || process.startsWith(`${role}-`))
        .map(([, megabytes]) => megabytes * 1e6);
      expect(measured.length).toBeGreaterThan(0);
      const { requests = {}, limits = {} } = onlyContainer(deploymentOf(role) as Resource).resources ?? {};
      expect(bytes(requests.memory ?? NaN)).toBeGreaterThanOrEqual(Math.max(...measured));
      expect(bytes(limits.memory ?? NaN)).toBeGreaterThan(heapCapBytes);
    }
  });

  it('sets only variables the app’s configuration reads', () => {
    const known = new Set(configSchemaVariables(join(repositoryRoot, 'src', 'config', 'config.schema.ts')));
    expect(known.has('APP_ROLE')).toBe(true);
    for (const workload of workloads()) {
      const unknown = variablesSetBy(onlyContainer(workload), resources).filter((name) => !known.has(name));
      expect({ workload: workload.metadata.name, unknown }).toEqual({ workload: workload.metadata.name, unknown: [] });
    }
  });

  it('holds no secret: credentials come from the Secret the operator creates, by reference only', () => {
    expect(ofKind('Secret')).toEqual([]);
    for (const workload of workloads()) {
      const container = onlyContainer(workload);
      expect(container.envFrom?.filter((source) => source.secretRef) ?? []).toEqual([]);
      for (const variable of container.env ?? []) {
        if (!credentialName.test(variable.name)) continue;
        expect({ name: variable.name, value: variable.value }).toEqual({ name: variable.name, value: undefined });
        expect(variable.valueFrom?.secretKeyRef?.name).toBe('payments-secrets');
      }
      for (const source of container.envFrom ?? []) {
        const configMap = named('ConfigMap', source.configMapRef?.name ?? '');
        expect(Object.keys(configMap.data ?? {}).filter((name) => credentialName.test(name))).toEqual([]);
      }
      // The required secrets are referenced, so a missing one stops the pod before the app starts; the optional
      // ones may be left out of the Secret.
      for (const [name, optional] of Object.entries(placeholderSecrets).map(
        ([key]) => [key, !(key in requiredSecrets)] as const,
      )) {
        const reference = container.env?.find((variable) => variable.name === name)?.valueFrom?.secretKeyRef;
        if (!reference && optional) continue;
        expect({ name, key: reference?.key, optional: reference?.optional ?? false }).toEqual({
          name,
          key: name,
          optional,
        });
      }
      const unknownKeys = (container.env ?? [])
        .map((variable) => variable.valueFrom?.secretKeyRef?.key)
        .filter((key): key is string => key !== undefined && !(key in placeholderSecrets));
      expect(unknownKeys).toEqual([]);
    }
    // Nothing that looks like a credential anywhere: a URL with a password, a 32-byte key, the development token.
    const text = JSON.stringify(resources);
    expect(text).not.toMatch(/[a-z]+:\/\/[^/\s"@]*:[^/\s"@]+@/i);
    expect(text).not.toMatch(/\b[0-9a-f]{64}\b/i);
    expect(text).not.toContain('dev-admin-token');
  });

  it('runs every process as a non-root user on a read-only root file system, without privileges', () => {
    for (const workload of workloads()) {
      const spec = templateOf(workload).spec;
      const container = onlyContainer(workload);
      expect(spec.securityContext?.runAsNonRoot ?? container.securityContext?.runAsNonRoot).toBe(true);
      expect(spec.securityContext?.runAsUser).not.toBe(0);
      expect(container.securityContext).toEqual(
        expect.objectContaining({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: expect.objectContaining({ drop: ['ALL'] }),
        }),
      );
    }
  });
});
