// The scripts of `ktimer completion bash|zsh`, made from the program itself (its commands and
// options are never written out twice), completing commands, options, option values, and the
// kids and names of tasks, which they ask `ktimer completion --tasks` for (with the --config of
// the line being completed).
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { MISFIRES, OVERLAPS, TASK_TYPES } from '../tasks/task.js';

export interface CompletionSpec {
  commands: string[];
  /** Options of the program itself, before or after the command. */
  global: string[];
  /** Each command's options (long form), --help among them. */
  options: Record<string, string[]>;
  /** Every option that takes a value (so the word after it is no command or argument). */
  valueOptions: string[];
  /** Commands whose argument is a KID (a kid or a task's name). */
  kidCommands: string[];
  /** Commands whose every argument is a KID (del, pause, resume, run: several targets). */
  kidsCommands: string[];
  /** Option values offered, by option. */
  choices: Record<string, readonly string[]>;
  /** Options whose value is a path. */
  fileOptions: string[];
}

const flagsOf = (cmd: CommandUnknownOpts) =>
  cmd.options.filter((o) => !o.hidden).map((o) => o.long ?? o.short ?? '');

export function completionSpec(program: CommandUnknownOpts): CompletionSpec {
  const all = [program, ...program.commands];
  return {
    commands: program.commands.map((c) => c.name()),
    global: [...flagsOf(program), '--help'],
    options: Object.fromEntries(program.commands.map((c) => [c.name(), [...flagsOf(c), '--help']])),
    valueOptions: [
      ...new Set(
        all.flatMap((c) =>
          c.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]),
        ),
      ),
    ].filter((f): f is string => f !== undefined),
    kidCommands: commandsWithArgument(program, 'kid'),
    kidsCommands: commandsWithArgument(program, 'kids'),
    choices: { '--type': TASK_TYPES, '--misfire': MISFIRES, '--overlap': OVERLAPS },
    fileOptions: ['--config', '--file', '--unit-dir'],
  };
}

const commandsWithArgument = (program: CommandUnknownOpts, name: string): string[] =>
  program.commands.filter((c) => c.registeredArguments.some((a) => a.name() === name)).map((c) => c.name());

const words = (list: readonly string[]): string => list.join(' ');

/** `case` arms: `NAME) echo "WORDS" ;;` (bash and zsh read them alike). */
const caseArms = (table: Record<string, readonly string[]>): string =>
  Object.entries(table)
    .map(([name, list]) => `  ${name}) echo "${words(list)}" ;;`)
    .join('\n');

/** What both scripts share: the tables, as shell functions. */
function tables(spec: CompletionSpec): string {
  return `_ktimer_commands="${words(spec.commands)}"
_ktimer_global="${words(spec.global)}"
_ktimer_value_options=" ${words(spec.valueOptions)} "
_ktimer_file_options=" ${words(spec.fileOptions)} "
_ktimer_kid_commands=" ${words(spec.kidCommands)} "
_ktimer_kids_commands=" ${words(spec.kidsCommands)} "
_ktimer_options() {
  case $1 in
${caseArms(spec.options)}
  esac
}
_ktimer_choices() {
  case $1 in
${caseArms(spec.choices)}
  esac
}`;
}

/** The bash functions below the tables: they read the line as ktimer will. */
const BASH_FUNCTIONS = `# Kids and names from the store of the config on the line (nothing when Redis does not answer).
_ktimer_tasks() {
  "\${_ktimer_bin:-ktimer}" "\${_ktimer_config[@]}" completion --tasks 2>/dev/null
}
# COMPREPLY from the words in $2 that start with $1. bash replaces only what follows the last
# word-break character of the word (= and : are ones), so that part is left out of each reply.
_ktimer_reply() {
  local cur=$1 pre reply
  reply=$(compgen -W "$2" -- "$cur")
  local IFS=$'\\n'
  COMPREPLY=($reply)
  pre=\${cur%"\${cur##*[=:]}"}
  if [[ -n $pre ]]; then COMPREPLY=("\${COMPREPLY[@]#"$pre"}"); fi
}
_ktimer() {
  local line=\${COMP_LINE:0:COMP_POINT} cur prev cmd="" w i n skip=0 args=0 dash=--
  local -a words
  _ktimer_config=()
  # Split on blanks only: -kid=KID stays one word.
  read -ra words <<<"$line"
  if [[ -z $line || $line == *[[:space:]] ]]; then words+=(""); fi
  n=\${#words[@]}
  _ktimer_bin=\${words[0]/#\\~/$HOME}
  cur=\${words[n-1]}
  prev=""
  if ((n > 1)); then prev=\${words[n-2]}; fi
  if [[ $prev == -[!-]?* ]]; then prev=-$prev; fi
  for ((i = 1; i < n - 1; i++)); do
    w=\${words[i]}
    if [[ $w == -[!-]?* ]]; then w=-$w; fi # Go-style -name is --name
    if ((skip)); then
      skip=0
      continue
    fi
    case $w in
    --config=*) _ktimer_config=(--config "\${w#*=}") ;;
    --config) _ktimer_config=(--config "\${words[i+1]}") skip=1 ;;
    --*=*) ;;
    -*) if [[ $_ktimer_value_options == *" $w "* ]]; then skip=1; fi ;;
    *) if [[ -z $cmd ]]; then cmd=$w; else args=$((args + 1)); fi ;;
    esac
  done
  if [[ $cur == -[!-]* ]]; then dash=-; fi # answered in the style asked
  if [[ $cur == -*=* ]]; then
    w=\${cur%%=*}
    if [[ $w == -[!-]?* ]]; then w=-$w; fi
    _ktimer_value "$w" "$cur" "\${cur%%=*}="
  elif [[ $_ktimer_value_options == *" $prev "* ]]; then
    _ktimer_value "$prev" "$cur" ""
  elif [[ $cur == -* ]]; then
    w="$(_ktimer_options "$cmd") $_ktimer_global"
    if [[ -z $cmd ]]; then w=$_ktimer_global; fi
    _ktimer_reply "$cur" "\${w//--/$dash}"
  elif [[ -z $cmd || ($cmd == help && $args == 0) ]]; then
    _ktimer_reply "$cur" "$_ktimer_commands"
  elif [[ $cmd == completion && $args == 0 ]]; then
    _ktimer_reply "$cur" "bash zsh"
  elif [[ ($_ktimer_kid_commands == *" $cmd "* && $args == 0) || $_ktimer_kids_commands == *" $cmd "* ]]; then
    _ktimer_reply "$cur" "$(_ktimer_tasks)"
  fi
}
# The value of option $1, typed as $2, after $3 (--kid= when given in one word).
_ktimer_value() {
  local list="" all w
  if [[ $_ktimer_file_options == *" $1 "* ]]; then
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -- "\${2#"$3"}"))
    return
  fi
  if [[ $1 == --kid ]]; then all=$(_ktimer_tasks); else all=$(_ktimer_choices "$1"); fi
  for w in $all; do list+="$3$w"$'\\n'; done
  _ktimer_reply "$2" "$list"
}
complete -F _ktimer ktimer
`;

export function bashScript(spec: CompletionSpec): string {
  return `# ktimer completion for bash. Load it in this shell: source <(ktimer completion bash)
# For good: ktimer completion bash > ~/.local/share/bash-completion/completions/ktimer
${tables(spec)}\n${BASH_FUNCTIONS}`;
}

/** The zsh function below the tables. */
const ZSH_FUNCTIONS = `_ktimer() {
  local cmd="" w i skip=0 args=0 dash=--
  local -a config tasks
  for ((i = 2; i < CURRENT; i++)); do
    w=\${words[i]}
    [[ $w == -[^-]?* ]] && w=-$w
    if ((skip)); then skip=0; continue; fi
    case $w in
    --config=*) config=(--config "\${w#*=}") ;;
    --config) config=(--config "\${words[i+1]}"); skip=1 ;;
    --*=*) ;;
    -*) [[ $_ktimer_value_options == *" $w "* ]] && skip=1 ;;
    *) if [[ -z $cmd ]]; then cmd=$w; else args=$((args + 1)); fi ;;
    esac
  done
  local cur=\${words[CURRENT]} prev=\${words[CURRENT-1]}
  [[ $prev == -[^-]?* ]] && prev=-$prev
  [[ $cur == -[^-]* ]] && dash=-
  _ktimer_values() { # option $1, offered after the prefix $2
    if [[ $1 == --kid ]]; then
      tasks=(\${(f)"$("\${words[1]/#\\~/$HOME}" $config completion --tasks 2>/dev/null)"})
      compadd -P "$2" -- $tasks
    elif [[ $_ktimer_file_options == *" $1 "* ]]; then
      compset -P "$2"; _files
    else
      local choices=$(_ktimer_choices "$1")
      compadd -P "$2" -- \${=choices}
    fi
  }
  if [[ $cur == -*=* ]]; then
    w=\${cur%%=*}
    [[ $w == -[^-]?* ]] && w=-$w
    compset -P '*='
    _ktimer_values "$w" ""
  elif [[ $_ktimer_value_options == *" $prev "* ]]; then
    _ktimer_values "$prev" ""
  elif [[ $cur == -* ]]; then
    w=$_ktimer_global
    [[ -n $cmd ]] && w="$(_ktimer_options "$cmd") $w"
    compadd -- \${=w//--/$dash}
  elif [[ -z $cmd || ($cmd == help && $args == 0) ]]; then
    compadd -- \${=_ktimer_commands}
  elif [[ $cmd == completion && $args == 0 ]]; then
    compadd -- bash zsh
  elif [[ ($_ktimer_kid_commands == *" $cmd "* && $args == 0) || $_ktimer_kids_commands == *" $cmd "* ]]; then
    _ktimer_values --kid ""
  fi
}
if [[ $funcstack[1] == _ktimer ]]; then _ktimer "$@"; else compdef _ktimer ktimer; fi
`;

export function zshScript(spec: CompletionSpec): string {
  return `#compdef ktimer
# ktimer completion for zsh. Load it in this shell: source <(ktimer completion zsh)
# For good: ktimer completion zsh > "\${fpath[1]}/_ktimer" (compinit must run in ~/.zshrc).
${tables(spec)}\n${ZSH_FUNCTIONS}`;
}
