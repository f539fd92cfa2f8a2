// deploy/observability against the running application: the alert rules load (promtool, where installed), and every
// metric the rules and the dashboard read is on /metrics of an app that has done what a deployment does (payments
// created and settled each way, reads cached, errors answered, the ledger verified, a day reconciled). A misspelled or
// removed metric fails here instead of leaving an alert that can never fire or a panel that stays empty.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  dashboardExpressions,
  type GrafanaDashboard,
  type PrometheusRuleFile,
  recordedNames,
  recordedSources,
  ruleExpressions,
  ruleProblems,
  type ScrapedSample,
  scrapedSamples,
  unmatchedLabelValues,
  unresolvedMetrics,
} from '../src/metrics/observability-files';
import {
  createMerchant,
  createPayment,
  eventually,
  getPayment,
  type Merchant,
  paymentBody,
  settledPayment,
  testCards,
} from './support/api';
import { rabbitmqServerUrl } from './support/events-rabbitmq';
import { TcpProxy } from './support/events-tcp-proxy';
import { fastProcessing } from './support/fast-processing';
import { startTestApp, type TestApp, testAdminToken } from './support/test-app';

const deployDirectory = join(__dirname, '..', 'deploy', 'observability');
const rulesPath = join(deployDirectory, 'prometheus', 'alerts.yml');
const prometheusConfigPath = join(deployDirectory, 'prometheus', 'prometheus.yml');
const dashboardPath = join(deployDirectory, 'grafana', 'payments-dashboard.json');

// Series Prometheus makes itself for every target; no application exposes them.
const synthesizedByPrometheus = new Set(['up']);

/** promtool's path when it is installed (Debian's package `prometheus` ships it), else undefined. */
function installedPromtool(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const promtool = installedPromtool();
const rules = parse(readFileSync(rulesPath, 'utf8')) as PrometheusRuleFile;
const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as GrafanaDashboard;

describe('deploy/observability rule files', () => {
  it(
    promtool
      ? `pass promtool check rules and check config (${promtool})`
      : 'parse as Prometheus rule files (promtool is not installed: Debian package prometheus)',
    () => {
      expect(ruleProblems(rules)).toEqual([]);
      if (!promtool) return;
      for (const args of [
        ['check', 'rules', rulesPath],
        ['check', 'config', prometheusConfigPath],
      ]) {
        const checked = spawnSync(promtool, args, { encoding: 'utf8' });
        expect({ args, status: checked.status, output: `${checked.stdout}${checked.stderr}` }).toMatchObject({
          status: 0,
        });
      }
    },
  );
});

describe('every metric the alert rules and the dashboard read, on /metrics', () => {
  let subject: TestApp;
  let merchant: Merchant;
  let scraped: Set<string>;
  let samples: ScrapedSample[];
  let exposition: string;

  async function scrape(): Promise<string> {
    const response = await subject.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return response.body;
  }

  beforeAll(async () => {
    subject = await startTestApp({ ...fastProcessing, RATE_LIMIT_PER_SECOND: '1000' });
    merchant = await createMerchant(subject, 'Observed');
    // Settled each way: succeeded (automatic capture), requires_capture (manual), failed (declined).
    const bodies = [
      paymentBody(),
      paymentBody(),
      paymentBody({ capture_method: 'manual' }),
      paymentBody({}, { number: testCards.declined }),
    ];
    const ids: string[] = [];
    for (const body of bodies) {
      const created = await createPayment(subject, merchant, body);
      expect(created.statusCode).toBe(202);
      ids.push(created.json<{ id: string }>().id);
    }
    for (const id of ids) await settledPayment(subject, merchant, id);
    // A cached read (miss, then hit), a 404 and a 401, and a stored ledger verification.
    await getPayment(subject, merchant, ids[0]!);
    await getPayment(subject, merchant, ids[0]!);
    const missing = await subject.inject({ method: 'GET', url: '/v1/payments/pay_missing', headers: merchant.headers });
    expect(missing.statusCode).toBe(404);
    const unauthenticated = await subject.inject({ method: 'GET', url: '/v1/payments' });
    expect(unauthenticated.statusCode).toBe(401);
    const verified = await subject.inject({
      method: 'GET',
      url: '/v1/admin/ledger/verify',
      headers: { 'x-admin-token': testAdminToken },
    });
    expect(verified.statusCode).toBe(200);
    // A day reconciled, so that the reconciliation gauges have their samples.
    const reconciled = await subject.inject({
      method: 'POST',
      url: '/v1/admin/reconciliations',
      headers: { 'x-admin-token': testAdminToken },
      payload: { date: new Date().toISOString().slice(0, 10) },
    });
    expect(reconciled.statusCode).toBe(200);
    exposition = await scrape();
    samples = scrapedSamples(exposition);
    scraped = new Set(samples.map((sample) => sample.name));
  });
  afterAll(async () => {
    await subject?.close();
  });

  it('finds every metric of every alert and recording rule', () => {
    const unresolved = unresolvedMetrics(ruleExpressions(rules), {
      scraped,
      recorded: recordedNames(rules),
      synthesized: synthesizedByPrometheus,
    });
    expect(unresolved).toEqual([]);
  });

  it('finds every metric of every dashboard panel and variable', () => {
    const unresolved = unresolvedMetrics(dashboardExpressions(dashboard), {
      scraped,
      recorded: recordedNames(rules),
      synthesized: synthesizedByPrometheus,
    });
    expect(unresolved).toEqual([]);
  });

  it('finds a series for every label value the rules and the dashboard select (outcome="failed_open", state="failed", ...)', () => {
    const unmatched = unmatchedLabelValues([...ruleExpressions(rules), ...dashboardExpressions(dashboard)], {
      samples,
      recorded: recordedSources(rules),
      synthesized: synthesizedByPrometheus,
    });
    expect(unmatched).toEqual([]);
  });

  it('reports a rule that reads a metric the app does not have (the check above, checked)', () => {
    const broken: PrometheusRuleFile = {
      groups: [
        ...(rules.groups ?? []),
        {
          name: 'broken',
          rules: [
            { alert: 'Misspelled', expr: 'min(ledger_balance) == 0' },
            { record: 'job:x:y', expr: 'sum(outbox_lag)' },
          ],
        },
      ],
    };
    const unresolved = unresolvedMetrics(ruleExpressions(broken), {
      scraped,
      recorded: recordedNames(broken),
      synthesized: synthesizedByPrometheus,
    });
    expect(unresolved).toEqual(
      expect.arrayContaining([
        { where: 'rule Misspelled (group broken)', name: 'ledger_balance' },
        { where: 'rule job:x:y (group broken)', name: 'outbox_lag' },
      ]),
    );
  });

  it('observes each settled payment once in payment_settlement_seconds, by outcome', async () => {
    const counts = (text: string): Record<string, number> =>
      Object.fromEntries(
        [...text.matchAll(/^payment_settlement_seconds_count\{outcome="(\w+)"\} (\d+)$/gm)].map(
          (match): [string, number] => [match[1]!, Number(match[2])],
        ),
      );
    expect(counts(exposition)).toEqual({ succeeded: 2, requires_capture: 1, failed: 1 });
    // Once: reading the payments again and a later scrape add nothing.
    expect(counts(await scrape())).toEqual({ succeeded: 2, requires_capture: 1, failed: 1 });
  });

  it('reports each readiness dependency up', async () => {
    const body = await scrape();
    for (const dependency of ['postgres', 'redis', 'rabbitmq']) {
      expect(body).toMatch(new RegExp(`^readiness_dependency_up\\{dependency="${dependency}"\\} 1$`, 'm'));
    }
  });
});

describe('readiness_dependency_up when RabbitMQ is cut off (through a proxy the test owns)', () => {
  let proxy: TcpProxy;
  let subject: TestApp;

  beforeAll(async () => {
    const broker = new URL(rabbitmqServerUrl);
    proxy = await TcpProxy.start(broker.hostname, Number(broker.port || 5672));
    subject = await startTestApp({
      RABBITMQ_URL: proxy.url(`${broker.username}:${broker.password}`),
      HEALTH_CHECK_TIMEOUT_MS: '300',
    });
  });
  afterAll(async () => {
    await subject?.close();
    await proxy?.close();
  });

  const readiness = async (): Promise<Record<string, string>> => {
    const body = (await subject.inject({ method: 'GET', url: '/metrics' })).body;
    return Object.fromEntries(
      [...body.matchAll(/^readiness_dependency_up\{dependency="(\w+)"\} (\d)$/gm)].map((match): [string, string] => [
        match[1]!,
        match[2]!,
      ]),
    );
  };

  it('goes to 0 for RabbitMQ alone while it is cut off, and back to 1 once it returns', async () => {
    expect(await readiness()).toEqual({ postgres: '1', redis: '1', rabbitmq: '1' });
    await proxy.cut();
    // A check serves scrapes for 5 s: the next one after that sees the cut.
    const down = await eventually(readiness, (up) => up.rabbitmq === '0', {
      deadlineMs: 15_000,
      intervalMs: 250,
      what: 'readiness_dependency_up reporting RabbitMQ down',
    });
    expect(down).toEqual({ postgres: '1', redis: '1', rabbitmq: '0' });
    await proxy.restore();
    await eventually(readiness, (up) => up.rabbitmq === '1', {
      deadlineMs: 15_000,
      intervalMs: 250,
      what: 'readiness_dependency_up reporting RabbitMQ back',
    });
  });
});
