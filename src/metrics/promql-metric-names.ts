// The metric names a PromQL expression reads, for checking the dashboard and the alert rules of deploy/observability
// against /metrics. Not a PromQL parser: it removes what is not a metric name (strings, label matchers, ranges and
// subqueries, by/without/on/ignoring label lists, offsets, numbers, Grafana variables, functions, aggregations and
// keywords) and what is left are the selectors' names. Selecting by `{__name__="..."}` is not read.

const keywords: ReadonlySet<string> = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

// Bracketed spans removed innermost first, so `{a=~"x[0-9]"}` or `x[5m:1m]` leave nothing behind.
const matcherBlock = /\{[^{}]*\}/g;
const rangeBlock = /\[[^[\]]*\]/g;

/** The distinct metric names `expression` selects, sorted. */
export function metricNamesOf(expression: string): string[] {
  let rest = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals, matcher values included
    .replace(/#[^\n]*/g, ' ') // comments, once no string can hold a #
    .replace(/\$\{[^}]*\}|\$[A-Za-z_]\w*/g, ' '); // Grafana variables: ${job}, $__rate_interval
  rest = removeRepeatedly(rest, matcherBlock);
  rest = removeRepeatedly(rest, rangeBlock);
  rest = rest
    // Label lists: `by (route, le)`, `on (job) group_left (topic)`.
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/gi, ' ')
    .replace(/\boffset\s+-?[\w.]+/gi, ' ')
    .replace(/@\s*-?[\d.]+/g, ' ')
    // Numbers: 0.99, 1e3, 0x1F, and durations left outside brackets (`5m` in `offset`, already gone).
    .replace(/(?<![\w:])(?:0x[\da-f]+|\d+(?:\.\d+)?(?:e[+-]?\d+)?[a-z]*|\.\d+)/gi, ' ');
  const names = new Set<string>();
  for (const match of rest.matchAll(/[A-Za-z_:][\w:]*(\s*\()?/g)) {
    const [, call] = match;
    const name = match[0].replace(/\s*\($/, '');
    // A name followed by "(" is a function or an aggregation; a metric name never is.
    if (call !== undefined || keywords.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}

/**
 * The selector of a Grafana query variable's `label_values(selector, label)` or `query_result(expression)`, or the
 * query itself (a `metrics(...)` or `label_names()` query selects no metric by name and answers '').
 */
export function expressionOfVariableQuery(query: string): string {
  const labelValues = /^\s*label_values\s*\(([\s\S]*),\s*[A-Za-z_]\w*\s*\)\s*$/.exec(query);
  if (labelValues) return labelValues[1]!;
  if (/^\s*label_values\s*\(\s*[A-Za-z_]\w*\s*\)\s*$/.test(query)) return '';
  if (/^\s*(metrics|label_names)\s*\(/.test(query)) return '';
  const queryResult = /^\s*query_result\s*\(([\s\S]*)\)\s*$/.exec(query);
  return queryResult ? queryResult[1]! : query;
}

function removeRepeatedly(text: string, block: RegExp): string {
  let previous: string;
  let current = text;
  do {
    previous = current;
    current = current.replace(block, ' ');
  } while (current !== previous);
  return current;
}

/** A selector's matcher that names label values: `queue_jobs{state="failed"}`, `x{outcome=~"a|b"}`. */
export interface LabelValueMatcher {
  metric: string;
  label: string;
  /** The values the matcher accepts: one for `=`, each alternative of a plain `=~` alternation. */
  values: string[];
}

// A regex matcher's value read as a list of literal values: only words, `/`, `-` and `|`, no regex syntax.
const plainAlternation = /^[\w/-]+(\|[\w/-]+)*$/;

/**
 * The label values `expression`'s selectors ask for by name: `=` matchers, and `=~` matchers that are plain
 * alternations. Negative matchers, real regexes (`5..`, `.*`) and values holding a Grafana variable are left out:
 * they name no value that must exist.
 */
export function labelValueMatchersOf(expression: string): LabelValueMatcher[] {
  const matchers: LabelValueMatcher[] = [];
  const selector = /([A-Za-z_:][\w:]*)\s*\{((?:[^{}"]|"(?:[^"\\]|\\.)*")*)\}/g;
  for (const [, metric, body] of expression.matchAll(selector)) {
    for (const [, label, operator, value] of body!.matchAll(/([A-Za-z_]\w*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
      if (value!.includes('$')) continue;
      if (operator === '=') matchers.push({ metric: metric!, label: label!, values: [value!] });
      if (operator === '=~' && plainAlternation.test(value!)) {
        matchers.push({ metric: metric!, label: label!, values: value!.split('|') });
      }
    }
  }
  return matchers;
}
