/**
 * The port ApiKeyAuthenticator finds a key's merchant through. The merchants module implements it (ApiKeysService)
 * and the composition root binds it (AuthModule.forRoot): auth, which every route depends on, imports no feature.
 */
export abstract class ApiKeyLookup {
  /** The merchant of a key this process already holds, else undefined (then merchantIdForApiKey decides). */
  abstract merchantIdForApiKeyAtHand(apiKey: string): string | undefined;
  /** The merchant of an active key, or null for an unknown or revoked one. */
  abstract merchantIdForApiKey(apiKey: string): Promise<string | null>;
}
