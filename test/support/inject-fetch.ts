import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import type { TestApp } from './test-app';

// The typed client (packages/client) sends fetch Requests; the tests run the app without a port, through Fastify's
// inject. This fetch carries each Request into inject and its answer back as a fetch Response, and remembers the
// inject response behind it, so helpers that tests read as inject responses (statusCode, headers, body, json())
// keep answering exactly what the app sent.

/** The client's base URL in tests: inject ignores the host; only the path and query are routed. */
export const injectBaseUrl = 'http://payments.test';

// Statuses whose fetch Response must not have a body (the Response constructor refuses one).
const nullBodyStatuses = new Set([101, 103, 204, 205, 304]);

const injectedResponses = new WeakMap<Response, LightMyRequestResponse>();

/** A fetch for createPaymentsClient that answers through `subject.inject`. */
export function injectFetch(subject: Pick<TestApp, 'inject'>): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const payload = request.body === null ? undefined : Buffer.from(await request.arrayBuffer());
    const injected = await subject.inject({
      method: request.method as InjectOptions['method'],
      url: `${url.pathname}${url.search}`,
      headers,
      ...(payload === undefined ? {} : { payload }),
    });
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(injected.headers)) {
      if (value === undefined) continue;
      for (const each of Array.isArray(value) ? value : [value]) responseHeaders.append(name, String(each));
    }
    const response = new Response(nullBodyStatuses.has(injected.statusCode) ? null : injected.rawPayload, {
      status: injected.statusCode,
      headers: responseHeaders,
    });
    injectedResponses.set(response, injected);
    return response;
  };
}

/** The inject response behind a Response that injectFetch made. */
export function injectedResponse(response: Response): LightMyRequestResponse {
  const injected = injectedResponses.get(response);
  if (injected === undefined) throw new Error('not a response of injectFetch');
  return injected;
}
