// ktimer remove: see install.ts.
export { remove as run } from './install.js';
