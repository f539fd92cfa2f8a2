import type { z } from 'zod';
import { ApiError, apiErrors } from '../errors/api-error';

/** A schema can name a contract code for one of its checks: `.refine(fn, { params: { code: 'card_number_invalid' } })`. */
interface IssueParams {
  code?: string;
}

function paramPath(prefix: string | undefined, path: readonly PropertyKey[]): string {
  const parts = [...(prefix ? [prefix] : []), ...path.map(String)];
  return parts.join('.');
}

/** Maps the first zod issue to the contract's error: unknown field, missing field, or invalid value. */
export function apiErrorFromZodIssues(issues: readonly z.core.$ZodIssue[], prefix?: string): ApiError {
  const issue = issues[0];
  if (!issue) return apiErrors.parameterInvalid(prefix ?? 'body', 'Invalid request.');
  if (issue.code === 'unrecognized_keys') {
    return apiErrors.parameterUnknown(paramPath(prefix, [...issue.path, issue.keys[0] ?? '']));
  }
  const param = paramPath(prefix, issue.path) || (prefix ?? 'body');
  if (issue.code === 'invalid_type' && issue.input === undefined) return apiErrors.parameterMissing(param);
  const code = issue.code === 'custom' ? (issue.params as IssueParams | undefined)?.code : undefined;
  return apiErrors.parameterInvalid(param, `Invalid ${param}: ${issue.message}`, code);
}
