/** Metadata key under which @CachedRead records its family on the handler. */
export const cachedReadFamilyMetadata = 'caching:cached-read-family';

/** The id under which a resource without an `:id` route parameter is cached (the merchant's balance). */
export const currentResourceId = 'current';

/** Metadata key of the optional id format check of @CachedRead: a malformed id never reaches the cache. */
export const cachedReadIdCheckMetadata = 'caching:cached-read-id-check';
