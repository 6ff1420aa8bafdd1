/*
 * start-command.c: how ktimer-spawn starts one command, `/bin/bash -c COMMAND` in a session of its
 * own with stdin from /dev/null, stdout and stderr to the pipes given, its environment (this
 * process's, the user's HOME, USER, LOGNAME and SHELL, then the request's entries), its directory
 * and its user. A plain command is started with posix_spawn (the cheap path of a burst); one with
 * a user or a directory by fork, where the child switches user (setgid, initgroups, setuid, every
 * return checked and the ids verified after) and enters the directory, and tells the parent
 * through a close-on-exec pipe the step that failed, if one did: then nothing of the command ran.
 */
#define _GNU_SOURCE
#include "start-command.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static size_t n_environ;
static posix_spawnattr_t attr;

void start_command_init(void) {
  for (char **e = environ; *e; e++) n_environ++;
  /* Commands start as from a fresh shell: default signal handling, nothing blocked. */
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
}

/* A run's environment: this process's, then each entry given (a later name replaces an earlier). */
static char **env_buf;
static size_t env_cap;

static void env_set(size_t *n, char *entry) {
  size_t name_len = (size_t)(strchrnul(entry, '=') - entry) + 1;
  for (size_t i = 0; i < *n; i++) {
    if (strncmp(env_buf[i], entry, name_len) == 0) {
      env_buf[i] = entry;
      return;
    }
  }
  env_buf[(*n)++] = entry;
}

/* The user a command runs as, looked up before the fork (the child only switches). */
struct as_user {
  uid_t uid;
  gid_t gid;
  int switch_ids;
  char *name, *home, *vars[4];
};

/* Why the child could not exec, written to the parent through a close-on-exec pipe. */
enum step { STEP_SETSID = 1, STEP_STDIO, STEP_SETGID, STEP_INITGROUPS, STEP_SETUID, STEP_VERIFY, STEP_CHDIR, STEP_EXEC };

static void child_failed(int fd, int step) {
  int report[2] = {step, errno};
  ssize_t ignored = write(fd, report, sizeof report);
  (void)ignored;
  _exit(127);
}

/* In the child of fork(): its session, default signals, the pipes, the user (setgid, initgroups,
 * setuid, in that order, every return checked and the ids verified after), the directory, bash. */
static void exec_child(int report, int out, int err, const struct as_user *u, const char *cwd, char **argv,
                       char **envp) {
  if (setsid() < 0) child_failed(report, STEP_SETSID);
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); /* SIGKILL, SIGSTOP: refused, fine */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int null = open("/dev/null", O_RDONLY);
  if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_failed(report, STEP_STDIO);
  if (u && u->switch_ids) {
    if (setgid(u->gid) != 0) child_failed(report, STEP_SETGID);
    if (initgroups(u->name, u->gid) != 0) child_failed(report, STEP_INITGROUPS);
    if (setuid(u->uid) != 0) child_failed(report, STEP_SETUID);
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0 || ru != u->uid || eu != u->uid ||
        su != u->uid || rg != u->gid || eg != u->gid || sg != u->gid || (u->uid != 0 && setuid(0) == 0)) {
      errno = EPERM;
      child_failed(report, STEP_VERIFY);
    }
  }
  if (cwd) {
    if (chdir(cwd) != 0) child_failed(report, STEP_CHDIR);
  } else if (u && chdir(u->home) != 0 && chdir("/") != 0) {
    child_failed(report, STEP_CHDIR);
  }
  execve("/bin/bash", argv, envp);
  child_failed(report, STEP_EXEC);
}

/* fork() for a command with a user or a directory; 0, or an errno with *reason set. */
static int fork_child(pid_t *pid, int out, int err, const struct as_user *u, const char *cwd, char **argv, char **envp,
                      char **reason) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return errno;
  *pid = fork();
  if (*pid < 0) {
    int e = errno;
    close(report[0]);
    close(report[1]);
    return e;
  }
  if (*pid == 0) exec_child(report[1], out, err, u, cwd, argv, envp);
  close(report[1]);
  int failed[2];
  ssize_t got;
  do got = read(report[0], failed, sizeof failed);
  while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got != (ssize_t)sizeof failed) return 0; /* closed by the exec: bash runs */
  int status;
  while (waitpid(*pid, &status, 0) < 0 && errno == EINTR) {
  }
  const char *name = u ? u->name : "";
  const char *why = strerror(failed[1]);
  int r = 0;
  switch (failed[0]) {
  case STEP_SETGID: r = asprintf(reason, "cannot run as %s: setgid(%d) failed: %s", name, (int)u->gid, why); break;
  case STEP_INITGROUPS: r = asprintf(reason, "cannot run as %s: initgroups failed: %s", name, why); break;
  case STEP_SETUID: r = asprintf(reason, "cannot run as %s: setuid(%d) failed: %s", name, (int)u->uid, why); break;
  case STEP_VERIFY: r = asprintf(reason, "cannot run as %s: its ids did not take after the switch; not run", name); break;
  case STEP_CHDIR: r = asprintf(reason, "cwd %s: %s", cwd ? cwd : u->home, why); break;
  case STEP_EXEC: r = asprintf(reason, "cannot start /bin/bash: %s", why); break;
  default: r = asprintf(reason, "cannot start the command (step %d): %s", failed[0], why); break;
  }
  if (r < 0) die("out of memory");
  return failed[1] ? failed[1] : EPERM;
}

/* The user to run as: known here, and this process may become it; else *reason says why not. */
static int find_user(const char *name, struct as_user *u, char **reason) {
  errno = 0;
  struct passwd *pw = getpwnam(name);
  int r = 0;
  if (!pw && errno != 0 && errno != ENOENT && errno != ESRCH)
    r = asprintf(reason, "cannot look up user %s: %s", name, strerror(errno));
  else if (!pw)
    r = asprintf(reason, "user %s is not known on this machine", name);
  else if (geteuid() != 0 && pw->pw_uid != geteuid())
    r = asprintf(reason, "the daemon runs as uid %d, not root: it cannot run a command as %s", (int)geteuid(), name);
  if (r < 0) die("out of memory");
  if (!pw || *reason) return -1;
  u->uid = pw->pw_uid;
  u->gid = pw->pw_gid;
  u->switch_ids = geteuid() == 0 && pw->pw_uid != 0;
  u->name = need(strdup(pw->pw_name));
  u->home = need(strdup(pw->pw_dir));
  if (asprintf(&u->vars[0], "HOME=%s", pw->pw_dir) < 0 || asprintf(&u->vars[1], "USER=%s", pw->pw_name) < 0 ||
      asprintf(&u->vars[2], "LOGNAME=%s", pw->pw_name) < 0 || asprintf(&u->vars[3], "SHELL=%s", pw->pw_shell) < 0)
    die("out of memory");
  return 0;
}

static void free_user(struct as_user *u) {
  free(u->name);
  free(u->home);
  for (int i = 0; i < 4; i++) free(u->vars[i]);
}

/* The environment of a run: this process's, the user's variables, then the command's entries. */
static void build_env(const struct command *c, const struct as_user *u) {
  size_t n_env = 0, need_env = n_environ + 5;
  for (size_t i = 0; i < c->env_len; i++) need_env += c->env[i] == '\0';
  if (env_cap < need_env) env_buf = need(realloc(env_buf, (env_cap = need_env) * sizeof *env_buf));
  for (char **e = environ; *e; e++) env_buf[n_env++] = *e;
  if (u)
    for (int i = 0; i < 4; i++) env_set(&n_env, u->vars[i]);
  for (char *e = (char *)c->env; e < c->env + c->env_len; e += strlen(e) + 1) env_set(&n_env, e);
  env_buf[n_env] = NULL;
}

int start_command(const struct command *c, int out, int err, pid_t *pid, char **reason) {
  struct as_user user, *u = NULL;
  memset(&user, 0, sizeof user);
  if (c->user[0] != '\0') {
    if (find_user(c->user, &user, reason) != 0) return -1;
    u = &user;
  }
  build_env(c, u);
  char *argv[] = {"/bin/bash", "-c", (char *)c->command, NULL};
  int e;
  if (u || c->cwd[0] != '\0') {
    e = fork_child(pid, out, err, u, c->cwd[0] ? c->cwd : NULL, argv, env_buf, reason);
  } else {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out, 1);
    posix_spawn_file_actions_adddup2(&actions, err, 2);
    e = posix_spawn(pid, "/bin/bash", &actions, &attr, argv, env_buf);
    posix_spawn_file_actions_destroy(&actions);
  }
  if (u) free_user(u);
  if (e == 0) return 0;
  if (!*reason && asprintf(reason, "cannot start /bin/bash: %s", strerror(e)) < 0) die("out of memory");
  return -1;
}
