import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  dashboardExpressions,
  dashboardProblems,
  type GrafanaDashboard,
  type PrometheusRuleFile,
  recordedNames,
  recordedSources,
  ruleExpressions,
  ruleProblems,
  scrapedSampleNames,
  scrapedSamples,
  unmatchedLabelValues,
  unresolvedMetrics,
} from './observability-files';

const deployDirectory = join(__dirname, '..', '..', 'deploy', 'observability');
const rulesPath = join(deployDirectory, 'prometheus', 'alerts.yml');
const dashboardPath = join(deployDirectory, 'grafana', 'payments-dashboard.json');

const goodAlert = {
  alert: 'PaymentsSomething',
  expr: 'x_total > 0',
  for: '5m',
  labels: { severity: 'critical' },
  annotations: { summary: 'Something', description: 'Something happened.' },
};

const datasource = { type: 'prometheus', uid: '${datasource}' };
const datasourceVariable = { name: 'datasource', type: 'datasource', query: 'prometheus' };

function dashboardWith(panel: Record<string, unknown>): GrafanaDashboard {
  return { schemaVersion: 42, templating: { list: [datasourceVariable] }, panels: [panel] };
}

describe('the alert rules in deploy/observability/prometheus/alerts.yml', () => {
  const file = parse(readFileSync(rulesPath, 'utf8')) as PrometheusRuleFile;

  it('give every alert a for duration, a severity, a summary and a description; every recording rule a level:metric:operations name', () => {
    expect(ruleProblems(file)).toEqual([]);
  });

  it('alert on what the issue names: ledger, dead letters, outbox lag, rate limiter failing open, readiness', () => {
    const alerts = ruleExpressions(file).map(({ where, expr }) => `${where}: ${expr}`);
    for (const expected of [
      /PaymentsLedgerNotBalanced.*ledger_balanced/,
      /PaymentsDeadLettersGrowing.*state="failed"/,
      /PaymentsOutboxLagHigh.*outbox_oldest_unsent_age_seconds/,
      /PaymentsRateLimiterFailingOpen.*failed_open/,
      /PaymentsNotReady.*readiness_dependency_up/,
      /PaymentsHigh5xxRatio/,
      /PaymentsSettlementSlow/,
    ]) {
      expect(alerts.some((alert) => expected.test(alert))).toBe(true);
    }
  });

  it('record every level:metric:operations name the rules read', () => {
    const recorded = recordedNames(file);
    const unresolved = unresolvedMetrics(ruleExpressions(file), {
      scraped: new Set(),
      recorded,
      synthesized: new Set(),
    }).filter(({ name }) => name.includes(':'));
    expect(unresolved).toEqual([]);
  });
});

describe('the dashboard in deploy/observability/grafana/payments-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as GrafanaDashboard;

  it('uses the datasource variable in every panel and query, with a current schema version', () => {
    expect(dashboardProblems(dashboard)).toEqual([]);
  });

  it('hard-codes no datasource uid anywhere', () => {
    const uids = [...JSON.stringify(dashboard).matchAll(/"uid":\s*"([^"]*)"/g)].map((match) => match[1]);
    expect(new Set(uids.filter((uid) => uid !== 'payments-backend'))).toEqual(
      new Set(['${datasource}', '-- Grafana --']),
    );
  });

  it('reads only recorded names the rule file records', () => {
    const rules = parse(readFileSync(rulesPath, 'utf8')) as PrometheusRuleFile;
    const unresolved = unresolvedMetrics(dashboardExpressions(dashboard), {
      scraped: new Set(),
      recorded: recordedNames(rules),
      synthesized: new Set(),
    }).filter(({ name }) => name.includes(':'));
    expect(unresolved).toEqual([]);
  });
});

describe('ruleProblems', () => {
  it('accepts a complete alert and a recording rule', () => {
    const file = {
      groups: [{ name: 'g', rules: [goodAlert, { record: 'job:x:rate5m', expr: 'sum(rate(x_total[5m]))' }] }],
    };
    expect(ruleProblems(file)).toEqual([]);
  });

  it.each([
    ['no for', { for: undefined }, 'has no for duration'],
    ['a for that is no duration', { for: 'soon' }, 'has no for duration'],
    ['no severity', { labels: {} }, 'severity must be one of critical, warning'],
    ['an unknown severity', { labels: { severity: 'page' } }, 'severity must be one of critical, warning'],
    ['no summary', { annotations: { description: 'd' } }, 'has no summary'],
    ['an empty description', { annotations: { summary: 's', description: ' ' } }, 'has no description'],
    ['no expr', { expr: undefined }, 'has no expr'],
  ])('flags an alert with %s', (_case, change, problem) => {
    const file = { groups: [{ name: 'g', rules: [{ ...goodAlert, ...change }] }] };
    expect(ruleProblems(file)).toEqual([`rule PaymentsSomething (group g): ${problem}`]);
  });

  it('flags a recording rule without colons, a rule that is both, a name used twice and an empty file', () => {
    const file = {
      groups: [
        { name: 'g', rules: [{ record: 'plain_name', expr: 'x' }, { ...goodAlert, record: 'a:b:c' }, goodAlert] },
      ],
    };
    expect(ruleProblems(file)).toEqual([
      'rule plain_name (group g): a recorded name is level:metric:operations',
      'rule PaymentsSomething (group g): needs exactly one of alert and record',
      'rule PaymentsSomething (group g): the name is used twice',
    ]);
    expect(ruleProblems({ groups: [] })).toEqual(['the file has no rules']);
  });
});

describe('dashboardProblems', () => {
  const panel = { type: 'timeseries', title: 'Rate', datasource, targets: [{ refId: 'A', datasource, expr: 'x' }] };

  it('accepts a panel and its queries on the datasource variable, inside a row too', () => {
    expect(dashboardProblems(dashboardWith(panel))).toEqual([]);
    expect(dashboardProblems(dashboardWith({ type: 'row', title: 'r', panels: [panel] }))).toEqual([]);
  });

  it('accepts an import input named as the datasource', () => {
    const dashboard: GrafanaDashboard = {
      schemaVersion: 42,
      __inputs: [{ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' }],
      panels: [
        { ...panel, datasource: { type: 'prometheus', uid: '${DS_PROMETHEUS}' }, targets: [{ refId: 'A', expr: 'x' }] },
      ],
    };
    expect(dashboardProblems(dashboard)).toEqual([]);
  });

  it('flags a hard-coded datasource uid on a panel, a query, or a panel in a collapsed row', () => {
    const hardCoded = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    expect(dashboardProblems(dashboardWith({ ...panel, datasource: hardCoded }))).toEqual([
      'panel "Rate": its datasource is not the datasource variable',
    ]);
    expect(
      dashboardProblems(dashboardWith({ ...panel, targets: [{ refId: 'B', datasource: hardCoded, expr: 'x' }] })),
    ).toEqual(['panel "Rate" query B: its datasource is not the datasource variable']);
    expect(
      dashboardProblems(dashboardWith({ type: 'row', title: 'r', panels: [{ ...panel, datasource: undefined }] })),
    ).toEqual(['panel "Rate": its datasource is not the datasource variable']);
  });

  it('flags a dashboard without a datasource variable, an old schema version, and a panel without queries', () => {
    expect(dashboardProblems({ schemaVersion: 27, panels: [{ type: 'text', title: 'Notes' }] })).toEqual([
      'schemaVersion must be at least 39',
      'the dashboard has no Prometheus datasource variable or input',
      'panel "Notes": its datasource is not the datasource variable',
      'panel "Notes": has no query',
    ]);
  });
});

describe('unresolvedMetrics and scrapedSampleNames', () => {
  const exposition = [
    '# HELP payment_settlement_seconds Time',
    '# TYPE payment_settlement_seconds histogram',
    'payment_settlement_seconds_bucket{le="0.1",outcome="succeeded"} 1',
    'payment_settlement_seconds_sum{outcome="succeeded"} 0.05',
    'payment_settlement_seconds_count{outcome="succeeded"} 1',
    'ledger_balanced 1',
    '',
  ].join('\n');

  it('reads sample names, a histogram as its _bucket, _sum and _count', () => {
    expect(scrapedSampleNames(exposition)).toEqual(
      new Set([
        'payment_settlement_seconds_bucket',
        'payment_settlement_seconds_sum',
        'payment_settlement_seconds_count',
        'ledger_balanced',
      ]),
    );
  });

  it('resolves scraped, recorded and synthesized names, and reports the rest where they are written', () => {
    const known = {
      scraped: scrapedSampleNames(exposition),
      recorded: new Set(['job:payment_settlements:rate5m']),
      synthesized: new Set(['up']),
    };
    const expressions = [
      { where: 'ok', expr: 'rate(payment_settlement_seconds_count[5m]) + job:payment_settlements:rate5m + up' },
      { where: 'histogram base name', expr: 'payment_settlement_seconds' },
      { where: 'typo', expr: 'min(ledger_balance) == 0' },
      { where: 'unrecorded', expr: 'job:nothing:rate5m' },
    ];
    expect(unresolvedMetrics(expressions, known)).toEqual([
      { where: 'histogram base name', name: 'payment_settlement_seconds' },
      { where: 'typo', name: 'ledger_balance' },
      { where: 'unrecorded', name: 'job:nothing:rate5m' },
    ]);
  });
});

describe('unmatchedLabelValues, scrapedSamples and recordedSources', () => {
  const exposition = [
    '# TYPE rate_limit_checks_total counter',
    'rate_limit_checks_total{outcome="allowed"} 3',
    'rate_limit_checks_total{outcome="failed_open"} 0',
    'queue_jobs{queue="payments",state="failed"} 0',
    'queue_jobs{queue="payments",state="waiting"} 2',
    'odd{path="a\\"b,c"} 1',
    'process_cpu_seconds_total 0.5',
  ].join('\n');
  const rules: PrometheusRuleFile = {
    groups: [
      {
        name: 'g',
        rules: [
          {
            record: 'job_outcome:rate_limit_checks:rate5m',
            expr: 'sum by (job, outcome) (rate(rate_limit_checks_total[5m]))',
          },
          {
            record: 'job_outcome:rate_limit_checks:sum',
            expr: 'sum by (job, outcome) (job_outcome:rate_limit_checks:rate5m)',
          },
        ],
      },
    ],
  };

  it('reads samples with their labels, escaped quotes and commas in values included', () => {
    expect(scrapedSamples(exposition)).toEqual([
      { name: 'rate_limit_checks_total', labels: { outcome: 'allowed' } },
      { name: 'rate_limit_checks_total', labels: { outcome: 'failed_open' } },
      { name: 'queue_jobs', labels: { queue: 'payments', state: 'failed' } },
      { name: 'queue_jobs', labels: { queue: 'payments', state: 'waiting' } },
      { name: 'odd', labels: { path: 'a"b,c' } },
      { name: 'process_cpu_seconds_total', labels: {} },
    ]);
  });

  it('follows a recorded name to the scraped metrics its rule reads, through other recorded names', () => {
    expect(recordedSources(rules)).toEqual(
      new Map([
        ['job_outcome:rate_limit_checks:rate5m', new Set(['rate_limit_checks_total'])],
        ['job_outcome:rate_limit_checks:sum', new Set(['rate_limit_checks_total'])],
      ]),
    );
  });

  it('reports the label values no series has, on scraped and on recorded names', () => {
    const known = {
      samples: scrapedSamples(exposition),
      recorded: recordedSources(rules),
      synthesized: new Set(['up']),
    };
    const expressions = [
      { where: 'ok', expr: 'queue_jobs{state=~"failed|waiting", job="payments"} + up{job="payments", x="y"}' },
      { where: 'ok recorded', expr: 'job_outcome:rate_limit_checks:sum{outcome="failed_open"} > 0' },
      { where: 'typo', expr: 'job_outcome:rate_limit_checks:rate5m{outcome="failed-open"} > 0' },
      { where: 'missing state', expr: 'queue_jobs{state=~"waiting|paused"}' },
      { where: 'unknown recorded name', expr: 'job:nothing:rate5m{a="b"}' },
    ];
    expect(unmatchedLabelValues(expressions, known)).toEqual([
      { where: 'typo', metric: 'job_outcome:rate_limit_checks:rate5m', label: 'outcome', value: 'failed-open' },
      { where: 'missing state', metric: 'queue_jobs', label: 'state', value: 'paused' },
    ]);
  });
});
