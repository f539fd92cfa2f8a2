// What deploy/observability holds, read as data: the PromQL of a Prometheus rule file and of a Grafana dashboard,
// the rules every alert and panel must follow, and which referenced metric names a scrape does not answer. Pure:
// the callers parse the files (YAML, JSON) and scrape /metrics.
import { expressionOfVariableQuery, labelValueMatchersOf, metricNamesOf } from './promql-metric-names';

export interface PrometheusRule {
  alert?: string;
  record?: string;
  expr?: unknown;
  for?: string;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

export interface PrometheusRuleFile {
  groups?: { name?: string; rules?: PrometheusRule[] }[];
}

/** One PromQL expression and where it is written, for messages. */
export interface WrittenExpression {
  where: string;
  expr: string;
}

/** A metric name an expression reads that nothing provides. */
export interface UnresolvedMetric {
  where: string;
  name: string;
}

interface GrafanaTarget {
  refId?: string;
  expr?: unknown;
  datasource?: unknown;
}

interface GrafanaPanel {
  id?: number;
  type?: string;
  title?: string;
  datasource?: unknown;
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

interface GrafanaVariable {
  name?: string;
  type?: string;
  query?: unknown;
  datasource?: unknown;
}

export interface GrafanaDashboard {
  schemaVersion?: number;
  panels?: GrafanaPanel[];
  templating?: { list?: GrafanaVariable[] };
  __inputs?: { name?: string; type?: string; pluginId?: string }[];
}

export const alertSeverities: readonly string[] = ['critical', 'warning'];
// Grafana 11.0's schema version; Grafana migrates older dashboards on load, so older means written for an old one.
export const dashboardSchemaVersionMin = 39;

const durationPattern = /^(\d+(ms|s|m|h|d|w|y))+$/;
// Prometheus's naming convention for recorded series: level:metric:operations.
const recordedNamePattern = /^[a-zA-Z_][\w]*:[\w:]*$/;

/** An expression as written: YAML may read `expr: 1` as a number; anything else is no expression. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : '';
}

function rulesOf(file: PrometheusRuleFile): { group: string; rule: PrometheusRule }[] {
  return (file.groups ?? []).flatMap((group) =>
    (group.rules ?? []).map((rule) => ({ group: group.name ?? '(unnamed group)', rule })),
  );
}

function nameOfRule(rule: PrometheusRule): string {
  return rule.alert ?? rule.record ?? '(unnamed rule)';
}

/** Every rule's expression, alerts and recording rules alike. */
export function ruleExpressions(file: PrometheusRuleFile): WrittenExpression[] {
  return rulesOf(file).map(({ group, rule }) => ({
    where: `rule ${nameOfRule(rule)} (group ${group})`,
    expr: textOf(rule.expr),
  }));
}

/** The series the recording rules of `file` record. */
export function recordedNames(file: PrometheusRuleFile): Set<string> {
  return new Set(rulesOf(file).flatMap(({ rule }) => (rule.record === undefined ? [] : [rule.record])));
}

/**
 * What is wrong with the rules, one sentence each: an alert needs a `for` duration, a severity the routing knows,
 * a summary and a description; a recording rule a level:metric:operations name; every rule an expression and one
 * name, unique in the file.
 */
export function ruleProblems(file: PrometheusRuleFile): string[] {
  const problems: string[] = [];
  const rules = rulesOf(file);
  if (rules.length === 0) problems.push('the file has no rules');
  const seen = new Set<string>();
  for (const { group, rule } of rules) {
    const name = nameOfRule(rule);
    const at = `rule ${name} (group ${group})`;
    if ((rule.alert === undefined) === (rule.record === undefined)) {
      problems.push(`${at}: needs exactly one of alert and record`);
    }
    if (seen.has(name)) problems.push(`${at}: the name is used twice`);
    seen.add(name);
    if (textOf(rule.expr).trim() === '') problems.push(`${at}: has no expr`);
    if (rule.record !== undefined && !recordedNamePattern.test(rule.record)) {
      problems.push(`${at}: a recorded name is level:metric:operations`);
    }
    if (rule.alert === undefined) continue;
    if (typeof rule.for !== 'string' || !durationPattern.test(rule.for)) problems.push(`${at}: has no for duration`);
    const severity = rule.labels?.severity;
    if (typeof severity !== 'string' || !alertSeverities.includes(severity)) {
      problems.push(`${at}: severity must be one of ${alertSeverities.join(', ')}`);
    }
    for (const annotation of ['summary', 'description']) {
      const text = rule.annotations?.[annotation];
      if (typeof text !== 'string' || text.trim() === '') problems.push(`${at}: has no ${annotation}`);
    }
  }
  return problems;
}

/** Every panel, those inside collapsed rows included; rows themselves are not panels with queries. */
function panelsOf(dashboard: GrafanaDashboard): GrafanaPanel[] {
  const flatten = (panels: readonly GrafanaPanel[]): GrafanaPanel[] =>
    panels.flatMap((panel) => (panel.type === 'row' ? flatten(panel.panels ?? []) : [panel]));
  return flatten(dashboard.panels ?? []);
}

function panelName(panel: GrafanaPanel): string {
  return `panel "${panel.title ?? '(untitled)'}"`;
}

/** Every panel query's expression and every query variable's selector. */
export function dashboardExpressions(dashboard: GrafanaDashboard): WrittenExpression[] {
  const panels = panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `${panelName(panel)} query ${target.refId ?? '?'}`,
      expr: textOf(target.expr),
    })),
  );
  const variables = (dashboard.templating?.list ?? [])
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = variable.query;
      const text = typeof query === 'object' && query !== null ? (query as { query?: unknown }).query : query;
      return { where: `variable ${variable.name ?? '?'}`, expr: expressionOfVariableQuery(textOf(text)) };
    });
  return [...panels, ...variables];
}

/** The names of the dashboard's Prometheus datasource variables and import inputs, as `${name}` references. */
function datasourceReferences(dashboard: GrafanaDashboard): Set<string> {
  const variables = (dashboard.templating?.list ?? [])
    .filter((variable) => variable.type === 'datasource' && variable.query === 'prometheus')
    .map((variable) => variable.name);
  const inputs = (dashboard.__inputs ?? [])
    .filter((input) => input.type === 'datasource' && input.pluginId === 'prometheus')
    .map((input) => input.name);
  return new Set([...variables, ...inputs].filter((name) => name !== undefined).map((name) => `\${${name}}`));
}

function usesDatasourceVariable(datasource: unknown, references: ReadonlySet<string>): boolean {
  const uid =
    typeof datasource === 'object' && datasource !== null ? (datasource as { uid?: unknown }).uid : datasource;
  return typeof uid === 'string' && references.has(uid);
}

/**
 * What is wrong with the dashboard, one sentence each: it needs a current schema version, a Prometheus datasource
 * variable (or import input), and every panel with queries, and each query that names a datasource, must use it
 * rather than a datasource uid of one Grafana.
 */
export function dashboardProblems(dashboard: GrafanaDashboard): string[] {
  const problems: string[] = [];
  if (typeof dashboard.schemaVersion !== 'number' || dashboard.schemaVersion < dashboardSchemaVersionMin) {
    problems.push(`schemaVersion must be at least ${dashboardSchemaVersionMin}`);
  }
  const references = datasourceReferences(dashboard);
  if (references.size === 0) problems.push('the dashboard has no Prometheus datasource variable or input');
  const panels = panelsOf(dashboard);
  if (panels.length === 0) problems.push('the dashboard has no panels');
  for (const panel of panels) {
    if (!usesDatasourceVariable(panel.datasource, references)) {
      problems.push(`${panelName(panel)}: its datasource is not the datasource variable`);
    }
    if ((panel.targets ?? []).length === 0) problems.push(`${panelName(panel)}: has no query`);
    for (const target of panel.targets ?? []) {
      if (target.datasource !== undefined && !usesDatasourceVariable(target.datasource, references)) {
        problems.push(
          `${panelName(panel)} query ${target.refId ?? '?'}: its datasource is not the datasource variable`,
        );
      }
      if (textOf(target.expr).trim() === '') problems.push(`${panelName(panel)} query ${target.refId}: no expr`);
    }
  }
  for (const variable of dashboard.templating?.list ?? []) {
    if (variable.type === 'query' && !usesDatasourceVariable(variable.datasource, references)) {
      problems.push(`variable ${variable.name ?? '?'}: its datasource is not the datasource variable`);
    }
  }
  return problems;
}

/**
 * The metric names `expressions` read that are neither in `scraped` (the sample names of a /metrics scrape, which
 * hold a histogram's _bucket, _sum and _count) nor recorded by a rule (`recorded`) nor made by Prometheus itself
 * (`synthesized`, such as `up`). A name in the level:metric:operations form must be recorded by a rule.
 */
export function unresolvedMetrics(
  expressions: readonly WrittenExpression[],
  known: { scraped: ReadonlySet<string>; recorded: ReadonlySet<string>; synthesized: ReadonlySet<string> },
): UnresolvedMetric[] {
  return expressions.flatMap(({ where, expr }) =>
    metricNamesOf(expr)
      .filter((name) =>
        name.includes(':') ? !known.recorded.has(name) : !known.synthesized.has(name) && !known.scraped.has(name),
      )
      .map((name) => ({ where, name })),
  );
}

/** One sample line of a Prometheus text exposition: `name{label="value",...} value`. */
export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
}

/** The samples of a Prometheus text exposition, comments left out. */
export function scrapedSamples(exposition: string): ScrapedSample[] {
  const samples: ScrapedSample[] = [];
  for (const line of exposition.split('\n')) {
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const labels: Record<string, string> = {};
    for (const [, label, value] of (sample[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[label!] = value!.replace(/\\(.)/g, (_escape: string, character: string) =>
        character === 'n' ? '\n' : character,
      );
    }
    samples.push({ name: sample[1]!, labels });
  }
  return samples;
}

/** The sample names of a Prometheus text exposition (a histogram's are its _bucket, _sum and _count). */
export function scrapedSampleNames(exposition: string): Set<string> {
  return new Set(scrapedSamples(exposition).map((sample) => sample.name));
}

/** A label value a selector asks for that no scraped series has. */
export interface UnmatchedLabelValue {
  where: string;
  metric: string;
  label: string;
  value: string;
}

// Labels Prometheus gives every series of a target from its scrape configuration; no exposition carries them.
const targetLabels: ReadonlySet<string> = new Set(['job', 'instance']);

/** For each recorded name, the scraped metric names its rule reads, through the recorded names it reads. */
export function recordedSources(file: PrometheusRuleFile): Map<string, Set<string>> {
  const expressions = new Map<string, string>();
  for (const { rule } of rulesOf(file)) if (rule.record !== undefined) expressions.set(rule.record, textOf(rule.expr));
  const sources = new Map<string, Set<string>>();
  const resolve = (record: string, visiting: Set<string>): Set<string> => {
    const known = sources.get(record);
    if (known) return known;
    const found = new Set<string>();
    for (const name of metricNamesOf(expressions.get(record) ?? '')) {
      if (!expressions.has(name)) found.add(name);
      else if (!visiting.has(name)) for (const source of resolve(name, new Set([...visiting, name]))) found.add(source);
    }
    sources.set(record, found);
    return found;
  };
  for (const record of expressions.keys()) resolve(record, new Set([record]));
  return sources;
}

/**
 * The label values `expressions` select by name (`queue_jobs{state="failed"}`, `outcome=~"a|b"`) that no scraped
 * series has: a matcher on a recorded name is checked against the metrics its rule reads. Prometheus's own series
 * (`synthesized`) and its target labels (job, instance) are not the application's to have; an unknown metric name is
 * unresolvedMetrics' to report.
 */
export function unmatchedLabelValues(
  expressions: readonly WrittenExpression[],
  known: {
    samples: readonly ScrapedSample[];
    recorded: ReadonlyMap<string, ReadonlySet<string>>;
    synthesized: ReadonlySet<string>;
  },
): UnmatchedLabelValue[] {
  const unmatched: UnmatchedLabelValue[] = [];
  for (const { where, expr } of expressions) {
    for (const { metric, label, values } of labelValueMatchersOf(expr)) {
      if (known.synthesized.has(metric) || targetLabels.has(label)) continue;
      const metrics = known.recorded.get(metric) ?? (metric.includes(':') ? undefined : new Set([metric]));
      if (!metrics) continue;
      for (const value of values) {
        const found = known.samples.some((sample) => metrics.has(sample.name) && sample.labels[label] === value);
        if (!found) unmatched.push({ where, metric, label, value });
      }
    }
  }
  return unmatched;
}
