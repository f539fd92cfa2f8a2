/**
 * @deprecated The global AuthenticationGuard (AuthModule) authenticates every route; no controller uses this. It
 * stays only while payments.module.ts and webhooks.module.ts still list it as a provider: delete it with those.
 */
export { ApiKeyAuthenticator as ApiKeyGuard } from './api-key.authenticator';
