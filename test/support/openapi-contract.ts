import type { InjectOptions, LightMyRequestResponse as InjectResponse } from 'fastify';
import OpenAPIBackend, { type Document, type Operation } from 'openapi-backend';

type ResponseObject = { content?: Record<string, { schema?: unknown }> };

/** A request the contract can match to an operation: its method and its URL as a string. */
export type ContractRequest = InjectOptions & { method: string; url: string };

/** One documented operation, as the contract sees it. */
export interface DocumentedOperation {
  operationId: string;
  method: string;
  /** The path template: `/v1/payments/{id}`. */
  path: string;
  statuses: number[];
  secured: boolean;
}

/**
 * The OpenAPI document as a contract that real responses are held to: each response a test receives is matched
 * to its operation (openapi-backend's router), its status must be one the operation documents, its content type
 * one the document gives for that status, and its body valid against that response's schema (openapi-backend's
 * validateResponse: Ajv on the document's schemas). What each operation answered is recorded, so a test can
 * require every operation to have been exercised.
 */
export class OpenApiContract {
  /** operationId → statuses received. */
  readonly received = new Map<string, Set<number>>();

  private constructor(
    private readonly api: OpenAPIBackend,
    readonly document: Document,
  ) {}

  static async load(document: Document): Promise<OpenApiContract> {
    // strict: a document openapi-backend cannot use fails here instead of being skipped with a warning.
    const api = new OpenAPIBackend({ definition: structuredClone(document), strict: true, validate: true });
    await api.init();
    return new OpenApiContract(api, document);
  }

  operations(): DocumentedOperation[] {
    return this.api.router.getOperations().map((operation) => ({
      operationId: operation.operationId!,
      method: operation.method.toUpperCase(),
      path: operation.path,
      statuses: Object.keys(operation.responses ?? {}).map(Number),
      secured: (operation.security ?? this.document.security ?? []).length > 0,
    }));
  }

  /** Throws, naming the request, when `response` is not what the document says `request` may answer. */
  check(request: ContractRequest, response: InjectResponse): void {
    const what = `${request.method} ${request.url} → ${response.statusCode}`;
    const url = new URL(request.url, 'http://localhost');
    const operation = this.api.router.matchOperation({
      method: request.method,
      path: url.pathname,
      headers: {},
      query: Object.fromEntries(url.searchParams),
    });
    if (!operation) throw new Error(`${what}: no operation of the document matches this request`);
    const id = operation.operationId!;
    const statuses = this.received.get(id) ?? new Set<number>();
    statuses.add(response.statusCode);
    this.received.set(id, statuses);
    const documented = (operation.responses as Record<string, ResponseObject> | undefined)?.[
      String(response.statusCode)
    ];
    if (!documented) {
      throw new Error(
        `${what}: status ${response.statusCode} is not documented for ${id} ` +
          `(documented: ${Object.keys(operation.responses ?? {}).join(', ')}); body: ${response.body.slice(0, 500)}`,
      );
    }
    const contentTypes = Object.keys(documented.content ?? {});
    const contentType = String(response.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim();
    if (!contentTypes.includes(contentType)) {
      throw new Error(`${what}: content type ${contentType || '(none)'} is not among ${contentTypes.join(', ')}`);
    }
    if (contentType !== 'application/json') return;
    const validation = this.api.validator.validateResponse(response.json(), operation, response.statusCode);
    if (!validation.valid) {
      throw new Error(
        `${what}: the body does not match the document for ${id}:\n` +
          `${JSON.stringify(validation.errors, null, 2)}\nbody: ${response.body.slice(0, 2000)}`,
      );
    }
  }

  /** Documented (operation, status) pairs no checked response had. */
  unexercised(): { operationId: string; status: number }[] {
    return this.operations().flatMap(({ operationId, statuses }) =>
      statuses
        .filter((status) => !this.received.get(operationId)?.has(status))
        .map((status) => ({ operationId, status })),
    );
  }

  /** Operations no checked response answered with a 2xx. */
  withoutSuccess(): string[] {
    return this.operations()
      .filter(({ operationId }) => ![...(this.received.get(operationId) ?? [])].some((status) => status < 300))
      .map(({ operationId }) => operationId);
  }
}

/** A request to every operation's path, its parameters filled with `value`: `/v1/payments/{id}` → `/v1/payments/x`. */
export function pathOf(operation: Pick<DocumentedOperation, 'path'>, value = 'x'): string {
  return operation.path.replace(/\{[^}]+\}/g, value);
}

export type { Operation };
