// A crontab line's command as ktimer runs it (with /bin/bash -c), meaning what cron meant.
//
// `%` (crontab(5), as Vixie cron and cronie do it, do_command.c): the command ends at the first
// `%` not escaped by a backslash, and `\%` in it becomes `%` (other backslashes stay). What
// follows, when not empty, is the command's standard input: each unescaped `%` a newline, `\%`
// a `%`, and a newline at the end when the text does not end with one.
//
// That input is given by `printf '%s' 'TEXT' | COMMAND`: single quotes keep every byte but NUL
// (which a crontab cannot hold) as it is, and `'` is written `'\''`; printf's `%s` writes the
// text and nothing else, so the bytes are cron's, to the last. A here-document adds its own
// final newline (cron's quirks can end the text without one) and ends early at a line equal to
// its delimiter. A command that is more than one simple
// command (`a && b`, `a; b`, a trailing comment or `&`) is grouped, `{ COMMAND` newline `}`, so
// the input goes to all of it, as cron's shell gave it to all of it.
//
// SHELL: cron runs the command with $SHELL -c (default /bin/sh). A shell other than sh or bash
// (zsh, ksh, ...) is kept by running it: `/bin/zsh -c 'COMMAND'`. sh is not: bash runs POSIX
// shell commands the same way, and wrapping every line would bury the commands.

/** The command part and the standard input of a crontab command field. */
export function splitPercent(field: string): { command: string; stdin: string | null } {
  let command = '';
  let escaped = false;
  for (let i = 0; i < field.length; i++) {
    const ch = field[i] as string;
    if (escaped) {
      // `\%` is a `%`; any other escaped character keeps its backslash.
      command += ch === '%' ? '%' : `\\${ch}`;
      escaped = false;
    } else if (ch === '\\') escaped = true;
    else if (ch === '%') {
      // `cmd%` gives no input at all, as cron writes none.
      const rest = field.slice(i + 1);
      return { command, stdin: rest === '' ? null : stdinOf(rest) };
    } else command += ch;
  }
  return { command: escaped ? `${command}\\` : command, stdin: null };
}

/**
 * The input text after the first `%`, as cron writes it to the command's pipe: `%` a newline,
 * `\%` a `%`, any other backslash kept (a backslash after one escapes what follows it again),
 * and a newline after the last character written when that was not one.
 */
function stdinOf(rest: string): string {
  let out = '';
  let escaped = false;
  let needNewline = false;
  for (const c of rest) {
    let ch = c;
    if (escaped) {
      if (ch !== '%') out += '\\';
    } else if (ch === '%') ch = '\n';
    escaped = ch === '\\';
    if (!escaped) {
      out += ch;
      needNewline = ch !== '\n';
    }
  }
  if (escaped) out += '\\';
  return needNewline ? `${out}\n` : out;
}

/** Text in single quotes for bash: exact for every byte but NUL. */
export const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** Nothing in it that makes more than one simple command, or hides such a thing in quotes. */
const SIMPLE = /^[^;&|<>()\n\r#'"\\$`{}]*$/;

/** Shells whose commands bash runs as they would: no wrapping needed. */
const BASH_LIKE = /^(?:\/usr)?\/bin\/(?:ba)?sh$|^(?:ba)?sh$/;

export interface ShellCommand {
  /** What ktimer stores: run by /bin/bash -c. */
  command: string;
  /** The shell cron would have used, when ktimer runs it explicitly. */
  shell?: string;
}

/** The command ktimer runs for a crontab command field, under the crontab's SHELL. */
export function shellCommand(field: string, shell: string | undefined): ShellCommand {
  const { command, stdin } = splitPercent(field);
  const wrapped = shell !== undefined && !BASH_LIKE.test(shell);
  let run = wrapped ? `${shell} -c ${shellQuote(command)}` : command;
  if (stdin !== null) {
    const whole = wrapped || SIMPLE.test(command) ? run : `{ ${command}\n}`;
    run = `printf '%s' ${shellQuote(stdin)} | ${whole}`;
  }
  return wrapped ? { command: run, shell } : { command: run };
}

/** Whether the command part holds a here-document, which grouping would feed its `}` to. */
export const hasHereDocument = (field: string): boolean => splitPercent(field).command.includes('<<');
