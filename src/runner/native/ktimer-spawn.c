/*
 * ktimer-spawn: starts the daemon's shell tasks, each `/bin/bash -c COMMAND` in a session (and
 * process group) of its own, keeps the last 4 KiB of its output and reports how it ended.
 *
 * Why C: a Node process starts a child by fork() of itself and waits for the exec, about 1 ms of
 * CPU a command whatever its flags; posix_spawn from this small process costs about 0.05 ms
 * (bench/RESULTS.md, shell burst). The daemon falls back to Node spawners without it.
 *
 * stdin, from the daemon:  "R <id> <a> <b> <c>\n" then the task's kid (a bytes), its due time
 *   (b bytes, unix seconds, for KTIMER_KID and KTIMER_DUE) and its command (c bytes).
 * stdout, to the daemon:
 *   "S <id> <pid> <started_ms>\n"                      started (pid = process group)
 *   "F <id> <started_ms> <length>\n" + message bytes   could not start
 *   "D <id> x|s <code|signal> <ended_ms> <length>\n" + output bytes   ended (exit code or signal)
 * Times are unix ms with a fraction. End of stdin (the daemon went away) ends this process;
 * the commands go on in their own groups. SIGINT, SIGTERM, SIGQUIT and SIGHUP are ignored: the
 * daemon decides when tasks end, even when a signal meant for its process group reaches this one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL_BYTES 4096
/* How long output may trail the exit of bash (pipes held by a background process). */
#define OUTPUT_GRACE_MS 200.0

extern char **environ;

struct child {
  long id;
  pid_t pid;
  int fd; /* read end of its output pipe; -1 once closed */
  int exited;
  int status;
  double exited_ms;
  char tail[TAIL_BYTES]; /* ring buffer */
  size_t tail_len, tail_at;
};

static struct child *children;
static size_t n_children, cap_children;
static int sig_pipe[2];
static char **base_env; /* environ without KTIMER_KID / KTIMER_DUE */
static size_t n_base_env;
static posix_spawnattr_t attr;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

static void die(const char *what) {
  fprintf(stderr, "ktimer-spawn: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Writes to the daemon; it is gone when that fails, and so is this process. */
static void put(const void *buf, size_t len) {
  if (len > 0 && fwrite(buf, 1, len, stdout) != len) exit(0);
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(sig_pipe[1], "c", 1);
  (void)ignored;
  errno = saved;
}

static void keep(struct child *c, const char *buf, size_t len) {
  for (size_t i = 0; i < len; i++) {
    c->tail[c->tail_at] = buf[i];
    c->tail_at = (c->tail_at + 1) % TAIL_BYTES;
  }
  c->tail_len = c->tail_len + len > TAIL_BYTES ? TAIL_BYTES : c->tail_len + len;
}

static void report_end(struct child *c) {
  char head[128];
  int by_signal = WIFSIGNALED(c->status);
  int value = by_signal ? WTERMSIG(c->status) : WEXITSTATUS(c->status);
  int n = snprintf(head, sizeof head, "D %ld %c %d %.3f %zu\n", c->id, by_signal ? 's' : 'x', value,
                   c->exited_ms, c->tail_len);
  put(head, (size_t)n);
  size_t start = (c->tail_at + TAIL_BYTES - c->tail_len) % TAIL_BYTES;
  size_t first = c->tail_len < TAIL_BYTES - start ? c->tail_len : TAIL_BYTES - start;
  put(c->tail + start, first);
  put(c->tail, c->tail_len - first);
}

static void remove_child(size_t i) {
  if (children[i].fd >= 0) close(children[i].fd);
  children[i] = children[--n_children];
}

static void start(long id, const char *kid, const char *due, const char *command) {
  double started = now_ms();
  int out[2];
  int err = 0;
  pid_t pid = 0;
  if (pipe2(out, O_CLOEXEC) != 0) {
    err = errno;
  } else {
    char *kid_var = NULL, *due_var = NULL;
    if (asprintf(&kid_var, "KTIMER_KID=%s", kid) < 0 || asprintf(&due_var, "KTIMER_DUE=%s", due) < 0)
      die("out of memory");
    base_env[n_base_env] = kid_var;
    base_env[n_base_env + 1] = due_var;
    base_env[n_base_env + 2] = NULL;
  posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, out[1], 2);
    char *argv[] = {"/bin/bash", "-c", (char *)command, NULL};
    err = posix_spawn(&pid, "/bin/bash", &actions, &attr, argv, base_env);
    posix_spawn_file_actions_destroy(&actions);
    free(kid_var);
    free(due_var);
    close(out[1]);
    if (err != 0) close(out[0]);
  }
  char head[128];
  if (err != 0) {
    const char *msg = strerror(err);
    int n = snprintf(head, sizeof head, "F %ld %.3f %zu\n", id, started, strlen(msg));
    put(head, (size_t)n);
    put(msg, strlen(msg));
    return;
  }
  if (n_children == cap_children) {
    cap_children = cap_children ? cap_children * 2 : 64;
    children = realloc(children, cap_children * sizeof *children);
    if (!children) die("out of memory");
  }
  struct child *c = &children[n_children++];
  memset(c, 0, offsetof(struct child, tail));
  c->id = id;
  c->pid = pid;
  c->fd = out[0];
  c->tail_len = c->tail_at = 0;
  int n = snprintf(head, sizeof head, "S %ld %d %.3f\n", id, (int)pid, started);
  put(head, (size_t)n);
}

/* Requests from stdin: complete ones are started, a partial one waits for more bytes. */
static char *in_buf;
static size_t in_len, in_cap;

static char *copy(const char *from, size_t len) {
  char *to = malloc(len + 1);
  if (!to) die("out of memory");
  memcpy(to, from, len);
  to[len] = '\0';
  return to;
}

static void take_requests(void) {
  size_t at = 0;
  for (;;) {
    char *nl = memchr(in_buf + at, '\n', in_len - at);
    if (!nl) break;
    long id;
    size_t kid_len, due_len, cmd_len;
    *nl = '\0';
    if (sscanf(in_buf + at, "R %ld %zu %zu %zu", &id, &kid_len, &due_len, &cmd_len) != 4) {
      fprintf(stderr, "ktimer-spawn: bad request: %.80s\n", in_buf + at);
      exit(2);
    }
    *nl = '\n';
    size_t body = (size_t)(nl - in_buf) + 1;
    if (in_len - body < kid_len + due_len + cmd_len) break;
    char *kid = copy(in_buf + body, kid_len);
    char *due = copy(in_buf + body + kid_len, due_len);
    char *command = copy(in_buf + body + kid_len + due_len, cmd_len);
    start(id, kid, due, command);
    free(kid);
    free(due);
    free(command);
    at = body + kid_len + due_len + cmd_len;
  }
  memmove(in_buf, in_buf + at, in_len - at);
  in_len -= at;
}

static void read_requests(void) {
  if (in_cap - in_len < 65536) {
    in_cap = in_cap * 2 + 65536;
    in_buf = realloc(in_buf, in_cap);
    if (!in_buf) die("out of memory");
  }
  ssize_t n = read(0, in_buf + in_len, in_cap - in_len);
  if (n == 0) {
    fflush(stdout);
    exit(0);
  }
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    die("reading requests");
  }
  in_len += (size_t)n;
  take_requests();
}

static void reap(void) {
  char drain[256];
  while (read(sig_pipe[0], drain, sizeof drain) > 0) {
  }
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (size_t i = 0; i < n_children; i++) {
      if (children[i].pid == pid && !children[i].exited) {
        children[i].exited = 1;
        children[i].status = status;
        children[i].exited_ms = now_ms();
        break;
      }
    }
  }
}

int main(void) {
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) die("pipe");
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, NULL) != 0) die("sigaction");

  for (char **e = environ; *e; e++) n_base_env++;
  base_env = calloc(n_base_env + 3, sizeof *base_env);
  if (!base_env) die("out of memory");
  n_base_env = 0;
  for (char **e = environ; *e; e++)
    if (strncmp(*e, "KTIMER_KID=", 11) != 0 && strncmp(*e, "KTIMER_DUE=", 11) != 0) base_env[n_base_env++] = *e;

  /* Commands start as from a fresh shell: default signal handling, nothing blocked. */
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  struct pollfd *fds = NULL;
  size_t cap_fds = 0;
  char buf[65536];
  for (;;) {
    fflush(stdout);
    if (cap_fds < n_children + 2) {
      cap_fds = (n_children + 2) * 2;
      fds = realloc(fds, cap_fds * sizeof *fds);
      if (!fds) die("out of memory");
    }
    fds[0] = (struct pollfd){.fd = 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
    size_t watched = n_children;
    double now = now_ms(), wait_ms = -1;
    for (size_t i = 0; i < watched; i++) {
      /* fd -1 (its pipe closed, bash still running) is skipped by poll. */
      fds[i + 2] = (struct pollfd){.fd = children[i].fd, .events = POLLIN};
      if (children[i].exited) {
        double left = children[i].exited_ms + OUTPUT_GRACE_MS - now;
        if (wait_ms < 0 || left < wait_ms) wait_ms = left < 0 ? 0 : left;
      }
    }
    int ready = poll(fds, watched + 2, wait_ms < 0 ? -1 : (int)wait_ms + 1);
    if (ready < 0 && errno != EINTR) die("poll");
    if (ready > 0 && (fds[1].revents & POLLIN)) reap();
    /* Output, then the ends: a child whose pipe closed after it exited is over. */
    for (size_t i = watched; i-- > 0;) {
      struct child *c = &children[i];
      if (ready > 0 && fds[i + 2].revents) {
        ssize_t n = read(c->fd, buf, sizeof buf);
        if (n > 0) keep(c, buf, (size_t)n);
        else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
          close(c->fd);
          c->fd = -1;
        }
      }
    }
    now = now_ms();
    for (size_t i = n_children; i-- > 0;) {
      struct child *c = &children[i];
      if (c->exited && (c->fd < 0 || now - c->exited_ms >= OUTPUT_GRACE_MS)) {
        report_end(c);
        remove_child(i);
      }
    }
    if (ready > 0 && fds[0].revents) read_requests(); /* data, end, or an error that ends us */
  }
}
