// API.md: bodies over 64 KiB are refused with 413; a payment request is well under 2 KiB.
export const requestBodyLimitBytes = 64 * 1024;
