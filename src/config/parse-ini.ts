// conf.ini text → { section → { key → value } }, through the `ini` package, after a line scan
// that `ini` does not do: it accepts any line silently, and keeps the last of duplicate keys.
import { parse } from 'ini';
import { KtimerError } from '../errors.js';

export type IniSections = Record<string, Record<string, string>>;

const SECTION = /^\s*\[([^\]]*)\]\s*(?:[;#].*)?$/;
const KEY_VALUE = /^\s*([^=\s][^=]*?)\s*=(.*)$/;

export function parseIni(text: string, file: string): IniSections {
  scanLines(text, file);
  const parsed = parse(text) as Record<string, unknown>;
  const out: IniSections = {};
  for (const [section, body] of Object.entries(parsed)) {
    if (typeof body !== 'object' || body === null) continue; // rejected by the scan already
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
      if (typeof value === 'string') values[key] = value.trim();
    }
    out[section] = values;
  }
  return out;
}

function scanLines(text: string, file: string): void {
  let section: string | null = null;
  const seen = new Set<string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const where = `${file}:${index + 1}`;
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const sec = SECTION.exec(line);
    if (sec) {
      section = (sec[1] ?? '').trim();
      if (section === '' || section.includes('.')) {
        throw new KtimerError(
          'config',
          `${where}: bad section name [${section}]; expected one of [default] [web] [redis] [log] [task]`,
        );
      }
      return;
    }
    const kv = KEY_VALUE.exec(line);
    if (!kv) {
      throw new KtimerError(
        'config',
        `${where}: cannot read "${line}"; expected "key = value" or "[section]"`,
      );
    }
    if (section === null) {
      throw new KtimerError(
        'config',
        `${where}: "${kv[1]}" is outside any section; put it under [default] or another section`,
      );
    }
    const id = `${section}\u0000${kv[1]}`;
    if (seen.has(id)) {
      throw new KtimerError('config', `${where}: key ${kv[1]} appears twice in [${section}]; keep one`);
    }
    seen.add(id);
  });
}
