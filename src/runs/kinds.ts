// What a run is of: its task's type, and its kind (a shell command or a URL call), decided by
// one rule on the command, in TypeScript (task input, the dashboard) and in the claim alike.

export const TASK_TYPES = ['timer', 'ticker', 'cron'] as const;
export type TaskType = (typeof TASK_TYPES)[number];
export const isTaskType = (value: unknown): value is TaskType => TASK_TYPES.includes(value as TaskType);

/** What a command is: a shell command, or an http(s) URL to call. */
export const COMMAND_KINDS = ['shell', 'url'] as const;
export type CommandKind = (typeof COMMAND_KINDS)[number];
export const isCommandKind = (value: unknown): value is CommandKind =>
  COMMAND_KINDS.includes(value as CommandKind);

/** A command starting with one of these, in any case, is a URL to call. */
export const URL_PREFIXES = ['http://', 'https://'] as const;

/** The kind of a command: the URL rule. */
export const commandKind = (command: string): CommandKind =>
  URL_PREFIXES.some((p) => command.slice(0, p.length).toLowerCase() === p) ? 'url' : 'shell';

export const isUrlCommand = (command: string): boolean => commandKind(command) === 'url';

/** commandKind in Lua (URL_PREFIXES comes generated beside it). */
export const KINDS_LUA = `-- The kind of a command (kinds.ts commandKind): 'url' when it starts with one of URL_PREFIXES, in
-- any case, else 'shell'.
local function kind_of(command)
  for _, prefix in ipairs(URL_PREFIXES) do
    if string.lower(string.sub(command, 1, #prefix)) == prefix then return 'url' end
  end
  return 'shell'
end`;
