// The text of a new conf.ini (`ktimer init`), made from config-keys.ts each time: every key with
// its meaning, unit and default. Nothing edits a template in place: there is no template file.
// A key whose default depends on where the file is (pidfile, log.dir) is written commented out,
// showing that default, so the rule applies.
import { CONFIG_KEYS, type KeySpec, SPELT_BOTH_WAYS } from './config-keys.js';
import type { StatePlaces } from './places.js';

const WIDTH = 100;

/** `text` as `; ` comment lines of at most WIDTH columns. */
export function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = ';';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line.length + 1 + word.length > WIDTH && line !== ';') {
      lines.push(line);
      line = ';';
    }
    line += ` ${word}`;
  }
  if (line !== ';') lines.push(line);
  return lines;
}

/** A value as conf.ini must spell it: quoted when it holds a comment character. */
const iniValue = (value: string): string => (/[;#]/.test(value) ? JSON.stringify(value) : value);

function keyLines(
  key: string,
  spec: KeySpec<unknown>,
  places: StatePlaces,
  values: Readonly<Record<string, string>>,
): string[] {
  const placed: Record<string, string> = { pidfile: places.pidfile, 'log.dir': places.logDir };
  const here = placed[key];
  const value = values[key] ?? here ?? spec.default;
  const assignment = `${key} =${value === '' ? '' : ` ${iniValue(value)}`}`;
  return [
    ...commentLines(spec.meaning),
    ...(spec.unit === 'text' ? [] : commentLines(`Values: ${spec.unit}.`)),
    ...(here === undefined || values[key] !== undefined
      ? [assignment]
      : [...commentLines(`Default by where this file is: ${spec.placed ?? ''}.`), `;${assignment}`]),
  ];
}

/** A new conf.ini for a file with these `places`; `values` fills keys in (web_passwd, timezone). */
export function configTemplate(places: StatePlaces, values: Readonly<Record<string, string>> = {}): string {
  const head = [
    '; ktimer configuration, written by `ktimer init`. Every key, its default and its unit:',
    '; docs/configuration.md. Relative paths resolve against the directory of this file.',
    '; A value holding ";" or "#" must be quoted ("a;b"): unquoted, they start a comment.',
    `; Booleans are 1 or 0. The keys of [${SPELT_BOTH_WAYS.join('], [')}] may be spelt with "." or "_"`,
    '; (web.enable or web_enable).',
  ];
  const sections = Object.entries(CONFIG_KEYS).map(([name, section]) => {
    const keys = Object.entries(section.keys as Record<string, KeySpec<unknown>>);
    return [
      `[${name}]`,
      ...commentLines(section.about),
      ...keys.flatMap(([key, spec]) => ['', ...keyLines(key, spec, places, values)]),
    ].join('\n');
  });
  return `${[head.join('\n'), ...sections].join('\n\n')}\n`;
}
