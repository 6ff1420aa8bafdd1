// Reads the keys of one conf.ini section, accepting both spellings of a key (`web.enable` and
// `web_enable`), and reports keys that nothing asked for (typos) as errors.
import { KtimerError } from '../errors.js';
import type { ValueSite } from './values.js';

export class SectionReader {
  private readonly used = new Set<string>();

  constructor(
    readonly file: string,
    readonly section: string,
    private readonly values: Record<string, string>,
    /** Prefix whose `.` and `_` spellings are both accepted, e.g. "web" (keys that start with it). */
    private readonly prefix?: string,
  ) {}

  /** The value of `key` (or its other spelling, or an alias), with the site to name in errors. */
  get(key: string, fallback: string, aliases: readonly string[] = []): { value: string; site: ValueSite } {
    const names = [...aliases, ...this.spellings(key)];
    let found: { name: string; value: string } | undefined;
    for (const name of names) {
      const value = this.values[name];
      if (value === undefined) continue;
      this.used.add(name);
      if (found && found.value !== value) {
        throw new KtimerError(
          'config',
          `${this.file}: [${this.section}] sets both ${found.name} and ${name} to different values; keep one`,
        );
      }
      found = { name, value };
    }
    const name = found?.name ?? key;
    return { value: found?.value ?? fallback, site: { file: this.file, section: this.section, key: name } };
  }

  /** Throws when the section holds a key nothing read. Call after every get(). */
  checkUnknown(): void {
    for (const name of Object.keys(this.values)) {
      if (!this.used.has(name)) {
        throw new KtimerError(
          'config',
          `${this.file}: unknown key ${name} in [${this.section}]; see docs/configuration.md for the keys of each section`,
        );
      }
    }
  }

  private spellings(key: string): string[] {
    const prefix = this.prefix;
    if (!prefix || !(key.startsWith(`${prefix}.`) || key.startsWith(`${prefix}_`))) return [key];
    const rest = key.slice(prefix.length + 1);
    return [`${this.prefix}.${rest}`, `${this.prefix}_${rest}`];
  }
}
