// Printing benchmark figures and collecting them for bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface Row {
  measure: string;
  ktimer: string;
  peer: string;
  ratio: string;
  target: string;
  met: boolean | null;
}

export interface Section {
  title: string;
  command: string;
  rows: Row[];
  notes: string[];
}

export function printSection(section: Section): void {
  process.stdout.write(`\n== ${section.title} ==\n`);
  for (const r of section.rows) {
    const verdict = r.met === null ? '' : r.met ? '  [target met]' : '  [TARGET MISSED]';
    process.stdout.write(
      `${r.measure}: ktimer ${r.ktimer} | peer ${r.peer} | ${r.ratio} | target ${r.target}${verdict}\n`,
    );
  }
  for (const n of section.notes) process.stdout.write(`  note: ${n}\n`);
}

export function machine(): string {
  const redis =
    execFileSync('redis-server', ['--version'])
      .toString()
      .match(/v=(\S+)/)?.[1] ?? '?';
  return `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${redis}`;
}

export const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
export const ratio = (a: number, b: number): string =>
  b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : 'n/a';
