/** Replaced at build time would be nicer; one place to bump is enough for now. */
export const version = '0.1.0';
