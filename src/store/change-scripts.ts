// The definition of lua/append_changes.lua: entries of the changes stream (change-store.ts), as
// many as one turn of the event loop recorded, in one call.
import { countReply, type Script } from './script.js';

export interface ChangeAppend {
  maxEntries: number;
  /** Entries recorded before this are trimmed, unix ms. */
  minIdMs: number;
  entries: readonly Record<string, string>[];
}

const APPEND_CHANGES_ARGV = {
  fixed: { max_entries: 'number', min_id: 'number' },
  each: { fields_json: 'string' },
} as const;

/** Replies how many entries were added. */
export const APPEND_CHANGES: Script<ChangeAppend, number, typeof APPEND_CHANGES_ARGV> = {
  name: 'append_changes',
  keys: ['changes'],
  argv: APPEND_CHANGES_ARGV,
  encode: (c) => ({
    fixed: { max_entries: c.maxEntries, min_id: Math.max(0, Math.floor(c.minIdMs)) },
    each: c.entries.map((fields) => ({ fields_json: JSON.stringify(flatPairs(fields)) })),
  }),
  decode: (reply) => countReply('append_changes', reply),
};

/** [name, value, name, value, ...] (Array.prototype.flat was the slow part of this encoding). */
function flatPairs(fields: Record<string, string>): string[] {
  const flat: string[] = [];
  for (const name in fields) flat.push(name, fields[name] as string);
  return flat;
}
