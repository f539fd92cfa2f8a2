/**
 * @deprecated The global AuthenticationGuard (AuthModule) authenticates every route, `@Operator()` ones with the
 * admin token; no controller uses this. It stays only while ledger.module.ts still lists it as a provider: delete it
 * with that entry.
 */
export { AdminTokenAuthenticator as AdminTokenGuard } from './admin-token.authenticator';
