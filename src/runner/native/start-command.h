/* start-command.h: starting one command for ktimer-spawn (start-command.c). */
#ifndef KTIMER_START_COMMAND_H
#define KTIMER_START_COMMAND_H

#include <stddef.h>
#include <sys/types.h>

/* A command as the daemon asked for it: empty cwd and user mean the defaults. */
struct command {
  const char *command;
  const char *env; /* NAME=VALUE entries, each ended by a NUL */
  size_t env_len;
  const char *cwd;
  const char *user;
};

/* Once, at start: reads this process's environment, prepares posix_spawn's attributes. */
void start_command_init(void);

/* Starts the command with stdout to `out` and stderr to `err`: 0 and its pid (its process group),
 * or -1 and *reason (malloc'd): why it did not run. */
int start_command(const struct command *c, int out, int err, pid_t *pid, char **reason);

/* ktimer-spawn.c's: ends this process saying what failed; a pointer, or the end for want of memory. */
void die(const char *what);
void *need(void *p);

#endif
