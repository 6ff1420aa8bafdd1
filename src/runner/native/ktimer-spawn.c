/*
 * ktimer-spawn: starts the daemon's shell tasks, each `/bin/bash -c COMMAND` in a session (and
 * process group) of its own, as the user and in the directory it asks for, keeps the first and
 * last bytes of its stdout and of its stderr apart, hands on its output as it is printed when asked
 * (the live tail), and reports how it ended.
 *
 * Starting one command (its user, directory, environment) is start-command.c's.
 *
 * Why C: a Node process starts a child by fork() of itself and waits for the exec, about 1 ms of
 * CPU a command whatever its flags; posix_spawn from this small process costs about 0.05 ms
 * (bench/RESULTS.md, shell burst). The daemon falls back to Node spawners without it.
 *
 * Usage: ktimer-spawn --stop-orphans GRACE_MS | --keep-orphans
 *   What happens to the commands still running when the daemon goes away (end of stdin, or a
 *   write to it fails): their process groups get SIGTERM, and SIGKILL after GRACE_MS, then this
 *   process exits (issue 29); or it exits at once and they go on alone (task_keep_orphans = 1).
 *
 * stdin, from the daemon:
 *   "R <id> <output_max> <live 0|1> <c> <e> <w> <u>\n" then the command (c bytes), the variables
 *   set over this process's environment (e bytes of NAME=VALUE entries, each ended by a NUL: -env
 *   and the run's KTIMER_*), the working directory (w bytes; 0: the user's home with a user, else
 *   this process's) and the user to run as (u bytes; 0: this process's).
 * stdout, to the daemon:
 *   "S <id> <pid> <started_ms>\n"                          started (pid = process group)
 *   "F <id> <started_ms> <length>\n" + reason              not run, and why
 *   "O <id> <1|2> <dropped> <length>\n" + bytes            output as printed (live only)
 *   "D <id> x|s <code|signal> <ended_ms> <t1> <h1> <l1> <t2> <h2> <l2>\n" + h1 + l1 + h2 + l2 bytes
 *       ended: for stdout (1) and stderr (2), the bytes printed in all (t), the first ones kept (h)
 *       and the last ones kept (l); output_max bytes at most per stream, half of them first.
 * Times are unix ms with a fraction. SIGINT, SIGTERM, SIGQUIT and SIGHUP are ignored: the daemon
 * decides when tasks end, even when a signal meant for its process group reaches this one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "start-command.h"

/* How long output may trail the exit of bash (pipes held by a background process). */
#define OUTPUT_GRACE_MS 200.0
/* The live tail: one batch per child at most this often, of at most this many bytes per stream
 * (src/runner/live-output.ts keeps the same for the Node spawner). */
#define LIVE_INTERVAL_MS 250.0
#define LIVE_BATCH_BYTES 65536
/* How often a spawner that lost its daemon looks whether its commands' groups are gone. */
#define GONE_POLL_MS 100

struct stream {
  int fd; /* read end of its pipe; -1 once closed */
  unsigned long long total;
  char *head, *tail, *live;
  size_t head_len, tail_len, tail_at, live_len;
  unsigned long long live_dropped;
};

struct child {
  long id;
  pid_t pid;
  int exited, status, live;
  double exited_ms, flushed_ms;
  size_t head_cap, tail_cap;
  struct stream s[2];
};

static struct child *children;
static size_t n_children, cap_children;
static int sig_pipe[2];
static int stop_orphans = 1;
static long grace_ms;
static int daemon_gone;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

void die(const char *what) {
  fprintf(stderr, "ktimer-spawn: %s: %s\n", what, strerror(errno));
  exit(1);
}

void *need(void *p) {
  if (!p) die("out of memory");
  return p;
}

static void lost_daemon(void);

/* Writes to the daemon; when that fails the daemon is gone. */
static void put(const void *buf, size_t len) {
  if (daemon_gone || len == 0) return;
  if (fwrite(buf, 1, len, stdout) != len) lost_daemon();
}

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t ignored = write(sig_pipe[1], "c", 1);
  (void)ignored;
  errno = saved;
}

/* ---- Output: the first head_cap and last tail_cap bytes of each stream, and the live batch. ---- */

static void keep(struct child *c, struct stream *st, const char *buf, size_t len) {
  st->total += len;
  if (c->live && !daemon_gone) {
    if (!st->live) st->live = need(malloc(LIVE_BATCH_BYTES));
    size_t room = LIVE_BATCH_BYTES - st->live_len, n = len < room ? len : room;
    memcpy(st->live + st->live_len, buf, n);
    st->live_len += n;
    st->live_dropped += len - n;
  }
  size_t to_head = c->head_cap - st->head_len;
  if (to_head > len) to_head = len;
  if (to_head > 0) {
    if (!st->head) st->head = need(malloc(c->head_cap));
    memcpy(st->head + st->head_len, buf, to_head);
    st->head_len += to_head;
    buf += to_head;
    len -= to_head;
  }
  if (len == 0 || c->tail_cap == 0) return;
  if (!st->tail) st->tail = need(malloc(c->tail_cap));
  if (len >= c->tail_cap) {
    memcpy(st->tail, buf + len - c->tail_cap, c->tail_cap);
    st->tail_at = 0;
    st->tail_len = c->tail_cap;
    return;
  }
  size_t first = c->tail_cap - st->tail_at < len ? c->tail_cap - st->tail_at : len;
  memcpy(st->tail + st->tail_at, buf, first);
  memcpy(st->tail, buf + first, len - first);
  st->tail_at = (st->tail_at + len) % c->tail_cap;
  st->tail_len = st->tail_len + len > c->tail_cap ? c->tail_cap : st->tail_len + len;
}

static void flush_live(struct child *c, double now) {
  c->flushed_ms = now;
  for (int i = 0; i < 2; i++) {
    struct stream *st = &c->s[i];
    if (st->live_len == 0 && st->live_dropped == 0) continue;
    char head[128];
    int n = snprintf(head, sizeof head, "O %ld %d %llu %zu\n", c->id, i + 1, st->live_dropped, st->live_len);
    put(head, (size_t)n);
    put(st->live, st->live_len);
    st->live_len = 0;
    st->live_dropped = 0;
  }
}

static int live_pending(const struct child *c) {
  return c->live && (c->s[0].live_len || c->s[0].live_dropped || c->s[1].live_len || c->s[1].live_dropped);
}

static void report_end(struct child *c) {
  if (c->live) flush_live(c, now_ms());
  char head[256];
  int by_signal = WIFSIGNALED(c->status);
  int value = by_signal ? WTERMSIG(c->status) : WEXITSTATUS(c->status);
  int n = snprintf(head, sizeof head, "D %ld %c %d %.3f %llu %zu %zu %llu %zu %zu\n", c->id, by_signal ? 's' : 'x',
                   value, c->exited_ms, c->s[0].total, c->s[0].head_len, c->s[0].tail_len, c->s[1].total,
                   c->s[1].head_len, c->s[1].tail_len);
  put(head, (size_t)n);
  for (int i = 0; i < 2; i++) {
    struct stream *st = &c->s[i];
    put(st->head, st->head_len);
    /* Until the ring is full its bytes lie in order from 0; after, the oldest is at tail_at. */
    if (st->tail_len < c->tail_cap) {
      put(st->tail, st->tail_len);
    } else {
      put(st->tail + st->tail_at, c->tail_cap - st->tail_at);
      put(st->tail, st->tail_at);
    }
  }
}

static void remove_child(size_t i) {
  for (int k = 0; k < 2; k++) {
    struct stream *st = &children[i].s[k];
    if (st->fd >= 0) close(st->fd);
    free(st->head);
    free(st->tail);
    free(st->live);
  }
  children[i] = children[--n_children];
}

struct request {
  long id;
  size_t output_max;
  int live;
  char *command, *env, *cwd, *user;
  size_t env_len;
};

static void report_not_run(long id, double started, const char *reason) {
  char head[128];
  int n = snprintf(head, sizeof head, "F %ld %.3f %zu\n", id, started, strlen(reason));
  put(head, (size_t)n);
  put(reason, strlen(reason));
}

static void add_child(const struct request *q, pid_t pid, int out, int err, double started) {
  if (n_children == cap_children) {
    cap_children = cap_children ? cap_children * 2 : 64;
    children = need(realloc(children, cap_children * sizeof *children));
  }
  struct child *c = &children[n_children++];
  memset(c, 0, sizeof *c);
  c->id = q->id;
  c->pid = pid;
  c->live = q->live;
  c->flushed_ms = -1e18;
  c->head_cap = q->output_max / 2;
  c->tail_cap = q->output_max - c->head_cap;
  c->s[0].fd = out;
  c->s[1].fd = err;
  char head[128];
  int n = snprintf(head, sizeof head, "S %ld %d %.3f\n", q->id, (int)pid, started);
  put(head, (size_t)n);
}

static void start(const struct request *q) {
  double started = now_ms();
  struct command cmd = {q->command, q->env, q->env_len, q->cwd, q->user};
  int out[2] = {-1, -1}, err[2] = {-1, -1};
  pid_t pid = 0;
  char *reason = NULL;
  int e = pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0 ? errno : 0;
  if (e == 0 && start_command(&cmd, out[1], err[1], &pid, &reason) != 0) e = -1;
  for (int i = 0; i < 2; i++) {
    if (out[i] >= 0 && (i == 1 || e != 0)) close(out[i]);
    if (err[i] >= 0 && (i == 1 || e != 0)) close(err[i]);
  }
  if (e != 0) {
    if (!reason && asprintf(&reason, "cannot start /bin/bash: %s", strerror(e)) < 0) die("out of memory");
    report_not_run(q->id, started, reason);
    free(reason);
    return;
  }
  add_child(q, pid, out[0], err[0], started);
}

/* ---- Requests from stdin: complete ones are started, a partial one waits for more bytes. ---- */

static char *in_buf;
static size_t in_len, in_cap;

static char *copy(const char *from, size_t len) {
  char *to = need(malloc(len + 1));
  memcpy(to, from, len);
  to[len] = '\0';
  return to;
}

static void take_requests(void) {
  size_t at = 0;
  for (;;) {
    char *nl = memchr(in_buf + at, '\n', in_len - at);
    if (!nl) break;
    struct request q;
    size_t len[4];
    *nl = '\0';
    if (sscanf(in_buf + at, "R %ld %zu %d %zu %zu %zu %zu", &q.id, &q.output_max, &q.live, &len[0], &len[1], &len[2],
               &len[3]) != 7) {
      fprintf(stderr, "ktimer-spawn: bad request: %.80s\n", in_buf + at);
      exit(2);
    }
    *nl = '\n';
    size_t body = (size_t)(nl - in_buf) + 1;
    if (in_len - body < len[0] + len[1] + len[2] + len[3]) break;
    char *field = in_buf + body;
    char **to[4] = {&q.command, &q.env, &q.cwd, &q.user};
    for (int i = 0; i < 4; i++) {
      *to[i] = copy(field, len[i]);
      field += len[i];
    }
    q.env_len = len[1];
    start(&q);
    for (int i = 0; i < 4; i++) free(*to[i]);
    at = (size_t)(field - in_buf);
  }
  memmove(in_buf, in_buf + at, in_len - at);
  in_len -= at;
}

static void read_requests(void) {
  if (in_cap - in_len < 65536) {
    in_cap = in_cap * 2 + 65536;
    in_buf = need(realloc(in_buf, in_cap));
  }
  ssize_t n = read(0, in_buf + in_len, in_cap - in_len);
  if (n == 0) {
    fflush(stdout);
    lost_daemon();
    return;
  }
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    lost_daemon();
    return;
  }
  in_len += (size_t)n;
  take_requests();
}

/* ---- The daemon went away: stop the commands it left (or leave them), then exit. ---- */

static pid_t *orphans;
static size_t n_orphans;
static double orphans_deadline;

static void lost_daemon(void) {
  if (daemon_gone) return;
  daemon_gone = 1;
  if (!stop_orphans || n_children == 0) exit(0);
  orphans = need(calloc(n_children, sizeof *orphans));
  for (size_t i = 0; i < n_children; i++) {
    orphans[n_orphans++] = children[i].pid;
    kill(-children[i].pid, SIGTERM);
  }
  orphans_deadline = now_ms() + (double)grace_ms;
}

/* While orphans are stopped: exit once their groups are gone, or SIGKILL them at the deadline. */
static void watch_orphans(void) {
  int left = 0;
  for (size_t i = 0; i < n_orphans; i++)
    if (kill(-orphans[i], 0) == 0 || errno == EPERM) left = 1;
  if (!left) exit(0);
  if (now_ms() < orphans_deadline) return;
  for (size_t i = 0; i < n_orphans; i++) kill(-orphans[i], SIGKILL);
  exit(0);
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

static void setup(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "--keep-orphans") == 0) stop_orphans = 0;
  else if (argc >= 3 && strcmp(argv[1], "--stop-orphans") == 0) grace_ms = atol(argv[2]);
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
  start_command_init();
}

/* How long poll may sleep: until a child's output grace ends, its live batch is due, or a look at orphans. */
static int poll_wait_ms(double now) {
  double wait = daemon_gone ? GONE_POLL_MS : -1;
  for (size_t i = 0; i < n_children; i++) {
    struct child *c = &children[i];
    double left = -1; /* -1: nothing due for this child but its pipes */
    if (c->exited) {
      left = c->exited_ms + OUTPUT_GRACE_MS - now;
      if (left < 0) left = 0;
    }
    if (live_pending(c)) {
      double due = c->flushed_ms + LIVE_INTERVAL_MS - now;
      if (due < 0) due = 0;
      if (left < 0 || due < left) left = due;
    }
    if (left >= 0 && (wait < 0 || left < wait)) wait = left;
  }
  return wait < 0 ? -1 : (int)wait + 1;
}

/* Output of the children poll found ready, their live batches when due, then the ends: a child
 * whose pipes closed after it exited is over (or its output grace passed). */
static void serve_children(const struct pollfd *fds, size_t watched, int ready) {
  static char buf[65536];
  for (size_t i = watched; i-- > 0;) {
    struct child *c = &children[i];
    for (int k = 0; k < 2 && ready > 0; k++) {
      if (!fds[2 + 2 * i + k].revents) continue;
      ssize_t n = read(c->s[k].fd, buf, sizeof buf);
      if (n > 0) keep(c, &c->s[k], buf, (size_t)n);
      else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(c->s[k].fd);
        c->s[k].fd = -1;
      }
    }
  }
  double now = now_ms();
  for (size_t i = n_children; i-- > 0;) {
    struct child *c = &children[i];
    if (live_pending(c) && now - c->flushed_ms >= LIVE_INTERVAL_MS) flush_live(c, now);
    int drained = c->s[0].fd < 0 && c->s[1].fd < 0;
    if (c->exited && (drained || now - c->exited_ms >= OUTPUT_GRACE_MS)) {
      report_end(c);
      remove_child(i);
    }
  }
}

int main(int argc, char **argv) {
  setup(argc, argv);
  struct pollfd *fds = NULL;
  size_t cap_fds = 0;
  for (;;) {
    if (!daemon_gone && fflush(stdout) != 0) lost_daemon();
    if (daemon_gone) watch_orphans();
    if (cap_fds < 2 * n_children + 2) {
      cap_fds = (2 * n_children + 2) * 2;
      fds = need(realloc(fds, cap_fds * sizeof *fds));
    }
    fds[0] = (struct pollfd){.fd = daemon_gone ? -1 : 0, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = sig_pipe[0], .events = POLLIN};
    size_t watched = n_children;
    /* fd -1 (a pipe closed, bash still running) is skipped by poll. */
    for (size_t i = 0; i < watched; i++)
      for (int k = 0; k < 2; k++) fds[2 + 2 * i + k] = (struct pollfd){.fd = children[i].s[k].fd, .events = POLLIN};
    int ready = poll(fds, 2 * watched + 2, poll_wait_ms(now_ms()));
    if (ready < 0 && errno != EINTR) die("poll");
    if (ready > 0 && (fds[1].revents & POLLIN)) reap();
    serve_children(fds, watched, ready);
    if (ready > 0 && fds[0].revents) read_requests(); /* data, or the end: the daemon went away */
  }
}
