import { expressionOfVariableQuery, labelValueMatchersOf, metricNamesOf } from './promql-metric-names';

describe('metricNamesOf', () => {
  it.each([
    ['a bare selector', 'ledger_balanced', ['ledger_balanced']],
    ['a comparison', 'min by (job) (ledger_balanced) == 0', ['ledger_balanced']],
    ['label matchers, their values and regexes', 'queue_jobs{state=~"waiting|active", queue!="x{1}"}', ['queue_jobs']],
    ['a matcher value that looks like a selector', 'up{job="payments", instance=~"rate(x[5m])"}', ['up']],
    ['a range and a function', 'rate(cache_hits_total[5m])', ['cache_hits_total']],
    ['a subquery', 'max_over_time(rate(rate_limit_checks_total[1m])[30m:1m])', ['rate_limit_checks_total']],
    [
      'by before the body, le in the label list, a quantile number',
      'histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket[5m])))',
      ['http_request_duration_seconds_bucket'],
    ],
    [
      'by after the body',
      'sum(rate(payment_settlement_seconds_count[5m])) by (outcome)',
      ['payment_settlement_seconds_count'],
    ],
    ['without', 'sum without (instance) (queue_jobs)', ['queue_jobs']],
    [
      'vector matching with on and group_left',
      'outbox_unsent_rows * on (job) group_left (version) process_start_time_seconds',
      ['outbox_unsent_rows', 'process_start_time_seconds'],
    ],
    [
      'ignoring and set operators',
      'a_total / ignoring (outcome) b_total and c or d unless e',
      ['a_total', 'b_total', 'c', 'd', 'e'],
    ],
    ['an offset and a bool comparison', 'ledger_mismatches > bool ledger_mismatches offset 1h', ['ledger_mismatches']],
    ['an @ modifier', 'ledger_mismatches @ 1609746000 - ledger_mismatches @ start()', ['ledger_mismatches']],
    ['numbers in every notation', 'x_total * 1e3 + 0x1F - .5 + 2.5e-3', ['x_total']],
    [
      'recorded names with colons',
      'job_topic:outbox_oldest_unsent_age_seconds:max > 60',
      ['job_topic:outbox_oldest_unsent_age_seconds:max'],
    ],
    ['absent of a selector', 'absent(up{job="payments"})', ['up']],
    [
      'Grafana variables in matchers and ranges',
      'sum by (outcome) (rate(stranded_payments_finalized_total{job=~"$job", x="${y}"}[$__rate_interval]))',
      ['stranded_payments_finalized_total'],
    ],
    ['label_replace strings', 'label_replace(queue_jobs, "q", "$1", "queue", "(.*)")', ['queue_jobs']],
    ['a comment', 'queue_jobs # and not_a_metric here', ['queue_jobs']],
    [
      'a # in a matcher value',
      'http_request_duration_seconds_count{route="/a#b"} > x',
      ['http_request_duration_seconds_count', 'x'],
    ],
    ['multi-line, repeated names once', 'sum(rate(x_total[5m]))\n  /\nsum(rate(x_total[5m]))', ['x_total']],
    ['Inf and NaN', 'x > Inf or x != NaN', ['x']],
    ['digits inside a name', 'http_5xx_total', ['http_5xx_total']],
  ])('reads %s', (_case, expression, names) => {
    expect(metricNamesOf(expression)).toEqual(names);
  });

  it('reads nothing from an expression of numbers and functions alone', () => {
    expect(metricNamesOf('vector(1) + time() * 2')).toEqual([]);
  });
});

describe('expressionOfVariableQuery', () => {
  it.each([
    ['label_values(readiness_dependency_up, job)', 'readiness_dependency_up'],
    ['label_values(queue_jobs{state="failed"}, queue)', 'queue_jobs{state="failed"}'],
    ['label_values(job)', ''],
    ['label_names()', ''],
    ['metrics(payment_.*)', ''],
    ['query_result(topk(5, queue_jobs))', 'topk(5, queue_jobs)'],
  ])('reads the expression of %s', (query, expression) => {
    expect(expressionOfVariableQuery(query)).toBe(expression);
  });
});

describe('labelValueMatchersOf', () => {
  it('reads = matchers and plain =~ alternations of each selector', () => {
    expect(
      labelValueMatchersOf(
        'job_queue_state:queue_jobs:max{state="failed"} + on (queue) x{state=~"waiting|active", method="POST", route="/v1/payments"}',
      ),
    ).toEqual([
      { metric: 'job_queue_state:queue_jobs:max', label: 'state', values: ['failed'] },
      { metric: 'x', label: 'state', values: ['waiting', 'active'] },
      { metric: 'x', label: 'method', values: ['POST'] },
      { metric: 'x', label: 'route', values: ['/v1/payments'] },
    ]);
  });

  it('leaves out negative matchers, real regexes, Grafana variables and selectors of no labels', () => {
    expect(
      labelValueMatchersOf(
        'sum(rate(x{status=~"5..", route!~"/health/.*", a!="b", job=~"$job", c="${d}", e="{}"}[5m])) / y',
      ),
    ).toEqual([{ metric: 'x', label: 'e', values: ['{}'] }]);
  });
});
