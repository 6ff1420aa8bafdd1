// docs/configuration.md, generated from config-keys.ts (`npm run docs:config`): where the
// config is found, where the logs and pidfile go, and every key with its default, unit and
// meaning. test/unit/config-reference.test.ts fails when the committed page differs.
import { CONFIG_KEYS, type KeySpec, SPELT_BOTH_WAYS } from './config-keys.js';
import { SYSTEM_CONFIG_DIR } from './places.js';

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text: string): string => (text === '' ? '(empty)' : `\`${text}\``);

const INTRO = `# Configuration

ktimer reads one \`conf.ini\`. This page says which one, and lists every key with its default,
its unit and what it does.

<!-- Generated from src/config/config-keys.ts by \`npm run docs:config\`: edit that file, not this
page (test/unit/config-reference.test.ts fails when they differ). -->`;

const WHICH = `## Which conf.ini is used

The first of:

1. \`ktimer --config PATH\`;
2. \`$KTIMER_CONFIG\`;
3. run from a checkout (a clone of the repository): the checkout's own \`conf.ini\`, which git
   ignores;
4. an installed ktimer (\`npm install -g\`): \`${SYSTEM_CONFIG_DIR}/conf.ini\` for root,
   \`$XDG_CONFIG_HOME/ktimer/conf.ini\` (\`~/.config/ktimer/conf.ini\` when XDG_CONFIG_HOME is not
   set) for any other user.

\`ktimer init\` creates that file when it is missing (mode 0600, a random \`web_passwd\`, this
machine's time zone as \`[task] timezone\`, every other key at its default) and says which file it
is and why; so does \`ktimer info\` (\`info --json\`: \`config.path\`). Reinstalling or upgrading
the package leaves the file alone: it is never inside the package.`;

const PLACES = `## Where the logs and the pidfile go

\`log.dir\` and \`pidfile\` default by where \`conf.ini\` is:

| conf.ini | log.dir | pidfile |
|---|---|---|
| \`${SYSTEM_CONFIG_DIR}/conf.ini\` | \`/var/log/ktimer\` | \`/run/ktimer/ktimer.pid\` (\`/var/lib/ktimer/ktimer.pid\` without /run) |
| \`$XDG_CONFIG_HOME/ktimer/conf.ini\` | \`$XDG_STATE_HOME/ktimer/log\` | \`$XDG_STATE_HOME/ktimer/run/ktimer.pid\` |
| anywhere else (a checkout's, a \`--config\`) | \`log\` beside it | \`runtime/ktimer.pid\` beside it |

(\`$XDG_STATE_HOME\` is \`~/.local/state\` when not set.) Set either key to put them elsewhere.`;

const SYNTAX = `## Syntax

\`[section]\` lines, then \`key = value\` lines; \`;\` or \`#\` starts a comment, so a value holding
one is quoted (\`default_timer = "echo a; echo b"\`). Booleans are \`1\` or \`0\`. Relative paths
resolve against the directory of \`conf.ini\`. The keys of [${SPELT_BOTH_WAYS.join('], [')}] may be
spelt with \`.\` or \`_\` after the section's name (\`web.enable\` or \`web_enable\`). An unknown
section or key, a key given twice, or a value out of range stops ktimer with one line naming the
file, the key and what is expected.`;

function sectionTable(name: string, about: string, keys: Record<string, KeySpec<unknown>>): string {
  const rows = Object.entries(keys).map(([key, spec]) => {
    const names = [key, ...(spec.aliases ?? [])].map(code).join(' or ');
    const dflt = spec.placed === undefined ? code(spec.default) : `by place: ${spec.placed}`;
    return `| ${names} | ${cell(dflt)} | ${cell(spec.unit)} | ${cell(spec.meaning)} |`;
  });
  return [
    `## [${name}]`,
    '',
    about,
    '',
    '| Key | Default | Unit and values | Meaning |',
    '|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function configReference(): string {
  const sections = Object.entries(CONFIG_KEYS);
  const contents = [
    '- [Which conf.ini is used](#which-confini-is-used)',
    '- [Where the logs and the pidfile go](#where-the-logs-and-the-pidfile-go)',
    '- [Syntax](#syntax)',
    ...sections.map(([name]) => `- [[${name}]](#${name})`),
  ].join('\n');
  const tables = sections.map(([name, s]) =>
    sectionTable(name, s.about, s.keys as Record<string, KeySpec<unknown>>),
  );
  return `${[INTRO, contents, WHICH, PLACES, SYNTAX, ...tables].join('\n\n')}\n`;
}
