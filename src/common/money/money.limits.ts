// API.md: an amount is an integer count of minor units, 1 ≤ amount ≤ 99,999,999,999 (just under a
// billion dollars). Both bounds are far below 2^53, so a JS number holds every amount exactly (and a sum
// of up to 90 000 maximal amounts too), and no amount has to travel through the app as a string or bigint.
export const amountMinorMin = 1;
export const amountMinorMax = 99_999_999_999;
