/** The id under which a resource without an id of its own is cached (the merchant's balance). */
export const currentResourceId = 'current';
