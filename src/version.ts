// The version printed by `ktimer version` and reported by `info` and the web API.
export const VERSION = '4.3.0';
export const PUBDATE = '2026.12';
export const PRODUCT = 'ktimer';
