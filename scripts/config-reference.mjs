// Writes docs/configuration.md from src/config/config-keys.ts (`npm run docs:config`). Run it
// after changing a conf.ini key; test/unit/config-reference.test.ts fails until it is run.
// Needs tsx (`node --import tsx`) to read the TypeScript source.
import { writeFileSync } from 'node:fs';
import { configReference } from '../src/config/config-reference.ts';

const PAGE = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(PAGE, configReference());
process.stdout.write(`wrote ${PAGE.pathname}\n`);
