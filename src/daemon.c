/* Process model: a small master and one worker.
 *
 * libmilter stops the filter on SIGHUP and sigwaits it in a thread of its
 * own, so a worker running libmilter cannot receive SIGHUP reliably. The
 * master, which never runs libmilter, takes the administrator's signals
 * and relays them: SIGHUP -> SIGUSR1 (reload), SIGTERM/SIGINT -> SIGUSR2
 * (fast stop). It also restarts a worker that died, so one bad message
 * cannot take the filter away from the MTA for good. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mailsift/content.h"
#include "mailsift/daemon.h"
#include "mailsift/listen.h"
#include "mailsift/log.h"
#include "mailsift/milter.h"
#include "mailsift/privdrop.h"

#define WORKER_EXIT_STARTUP 78 /* EX_CONFIG: do not restart */
#define STOP_GRACE_MS 600      /* in-flight connections may finish */
#define MASTER_KILL_AFTER_S 3
#define RESTART_BACKOFF_MAX_S 30

struct worker_state {
	const char *socket;
	const char *config_path;
	pthread_t main_thread;
	atomic_int milter_failed;
	atomic_int milter_done;
};

static void wake_handler(int sig)
{
	(void)sig;
}

static void log_error_lines(const char *what, const char *errors)
{
	const char *p = errors;

	while (*p) {
		size_t n = strcspn(p, "\n");
		log_error("%s: %.*s", what, (int)n, p);
		p += n;
		p += *p == '\n';
	}
}

static void worker_reload(struct worker_state *ws)
{
	struct strbuf errors;
	struct config *cfg;

	sb_init(&errors, 65536);
	cfg = config_load(ws->config_path, &errors);
	if (cfg == NULL) {
		log_error_lines("reload rejected, still serving the previous configuration",
				sb_str(&errors));
	} else {
		struct config *old = config_current();

		if (old != NULL && strcmp(old->socket, cfg->socket) != 0)
			log_warn("reload: still listening on %s; a new socket needs a restart",
				 ws->socket);
		content_log_hits(old, "before reload");
		config_release(&old);
		log_set_debug(cfg->log_debug);
		log_set_facility(cfg->syslog_facility);
		config_install(cfg);
		log_info("configuration reloaded from %s", ws->config_path);
		if (cfg->rules != NULL)
			log_info("rules: %zu loaded, %zu inert, %zu failed", cfg->rules_loaded,
				 cfg->rules_inert, cfg->rules_failed);
	}
	sb_free(&errors);
}

static void *milter_thread(void *arg)
{
	struct worker_state *ws = arg;
	sigset_t set;

	/* only this thread sees the wake-up signal: it breaks libmilter's poll */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (smfi_main() != MI_SUCCESS)
		atomic_store(&ws->milter_failed, 1);
	atomic_store(&ws->milter_done, 1);
	pthread_kill(ws->main_thread, SIGUSR2);
	return NULL;
}

/* smfi_stop() sets the stop flag at once but then waits for the listener's
 * lock, which libmilter holds across a 5-second poll: call it from a thread
 * of its own while the caller breaks the poll. */
static void *stopper_thread(void *arg)
{
	(void)arg;
	smfi_stop();
	return NULL;
}

static void stop_milter(struct worker_state *ws, pthread_t tid)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	pthread_t stopper;

	if (pthread_create(&stopper, NULL, stopper_thread, NULL) == 0)
		pthread_detach(stopper);
	for (int i = 0; i < 100 && !atomic_load(&ws->milter_done); i++) {
		pthread_kill(tid, SIGALRM);
		nanosleep(&tick, NULL);
	}
	if (atomic_load(&ws->milter_done))
		pthread_join(tid, NULL);
}

static void worker_signals(sigset_t *wait_set)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wake_handler; /* no SA_RESTART: poll must see EINTR */
	sigaction(SIGALRM, &sa, NULL);
	/* Unblocked and ignored in the main thread, SIGHUP is discarded by the
	 * kernel before libmilter's signal thread could take it as "stop". */
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigemptyset(wait_set);
	sigaddset(wait_set, SIGUSR1);
	sigaddset(wait_set, SIGUSR2);
	sigaddset(wait_set, SIGTERM);
	sigaddset(wait_set, SIGINT);
	sigset_t block = *wait_set;
	sigaddset(&block, SIGALRM);
	pthread_sigmask(SIG_SETMASK, &block, NULL);
}

static int worker_open_socket(const struct config *cfg, const char *socket,
			      const struct privdrop *pd)
{
	const char *err = NULL;
	mode_t old_umask;
	int rc;

	if (milter_register() < 0 || smfi_setconn((char *)socket) != MI_SUCCESS ||
	    smfi_settimeout((int)cfg->milter_timeout) != MI_SUCCESS) {
		log_error("cannot set up libmilter for %s", socket);
		return -1;
	}
	smfi_setbacklog(128);
	if (listen_prepare(socket, &err) < 0) {
		log_error("%s: %s", socket, err);
		return -1;
	}
	/* the socket never exists with a wider mode than configured */
	old_umask = umask(0777 & ~(mode_t)cfg->socket_mode);
	rc = smfi_opensocket(false);
	umask(old_umask);
	if (rc != MI_SUCCESS) {
		log_error("cannot open milter socket %s", socket);
		return -1;
	}
	if (listen_finish(socket, cfg, pd != NULL ? pd->uid : (uid_t)-1, &err) < 0) {
		log_error("%s: %s", socket, err);
		return -1;
	}
	if (pd != NULL && privdrop_apply(pd, &err) < 0) {
		log_error("cannot run as %s: %s", pd->name, err);
		return -1;
	}
	return 0;
}

/* libmilter leaves a unix socket file behind; the next start would replace
 * it, but an administrator should not find a dead socket meanwhile. */
static void remove_socket(const char *socket)
{
	const char *path = listen_unix_path(socket);
	struct stat st;

	if (path != NULL && lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
}

/* Waits for connections in flight, a little, so a stop does not cut a
 * transaction the MTA would then have to retry. */
static void drain_connections(void)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	for (int waited = 0; waited < STOP_GRACE_MS && milter_active_connections() > 0;
	     waited += 50)
		nanosleep(&ts, NULL);
}

static int worker_loop(struct worker_state *ws, const sigset_t *wait_set, pthread_t tid)
{
	for (;;) {
		int sig = 0;

		if (sigwait(wait_set, &sig) != 0)
			continue;
		if (sig == SIGUSR1) {
			worker_reload(ws);
			continue;
		}
		if (!atomic_load(&ws->milter_failed))
			log_info("stopping");
		stop_milter(ws, tid);
		drain_connections();
		remove_socket(ws->socket);
		return atomic_load(&ws->milter_failed) ? 1 : 0;
	}
}

static int worker_main(const struct daemon_opts *opts, const char *socket,
		       const struct privdrop *pd, int ready_fd)
{
	struct worker_state ws = {.socket = socket, .config_path = opts->config_path};
	struct config *cfg = config_current();
	sigset_t wait_set;
	pthread_t tid;
	int rc;

	worker_signals(&wait_set);
	rc = worker_open_socket(cfg, socket, pd);
	config_release(&cfg);
	if (rc < 0)
		return WORKER_EXIT_STARTUP;
	ws.main_thread = pthread_self();
	if (pthread_create(&tid, NULL, milter_thread, &ws) != 0) {
		log_error("cannot start the milter thread");
		return WORKER_EXIT_STARTUP;
	}
	log_info("listening on %s", socket);
	if (ready_fd >= 0) {
		(void)!write(ready_fd, "R", 1);
		close(ready_fd);
	}
	return worker_loop(&ws, &wait_set, tid);
}

/* ---- master ---- */

static int pidfile_open(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		log_error("cannot open pid file %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		log_error("pid file %s is locked: another mailsiftd is running", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || write(fd, buf, (size_t)n) != n) {
		log_error("cannot write pid file %s", path);
		close(fd);
		return -1;
	}
	return fd; /* held open: the lock lives as long as the master */
}

static pid_t spawn_worker(const struct daemon_opts *opts, const char *socket,
			  const struct privdrop *pd, int ready_fd, const sigset_t *old_mask)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigprocmask(SIG_SETMASK, old_mask, NULL);
		_exit(worker_main(opts, socket, pd, ready_fd));
	}
	if (pid < 0)
		log_error("cannot fork the worker: %s", strerror(errno));
	return pid;
}

/* Returns the worker's exit status, or -1 if it was stopped by a signal. */
static int reap(pid_t pid, int *status_r)
{
	int status;

	if (waitpid(pid, &status, WNOHANG) != pid)
		return 0;
	if (WIFEXITED(status))
		*status_r = WEXITSTATUS(status);
	else
		*status_r = -WTERMSIG(status);
	return 1;
}

static void stop_worker(pid_t pid)
{
	sigset_t chld;
	struct timespec ts = {MASTER_KILL_AFTER_S, 0};
	int status;

	kill(pid, SIGUSR2);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (!reap(pid, &status)) {
		if (sigtimedwait(&chld, NULL, &ts) < 0 && errno == EAGAIN) {
			log_warn("worker did not stop in %d s, killing it", MASTER_KILL_AFTER_S);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
	}
}

struct master {
	const struct daemon_opts *opts;
	const char *socket;
	const struct privdrop *pd;
	sigset_t old_mask;
	pid_t worker;
	int restarts;
	time_t started; /* of the current worker */
};

/* A worker that died: give up if it never got going, else restart it. */
static int master_worker_died(struct master *m, int status, int *exit_code)
{
	struct timespec backoff = {0, 0};

	if (status == WORKER_EXIT_STARTUP) {
		log_error("worker could not start (status %d); giving up", status);
		*exit_code = 1;
		return -1;
	}
	if (status == 0) {
		*exit_code = 0;
		return -1;
	}
	log_error("worker died (%s %d); restarting", status < 0 ? "signal" : "status",
		  status < 0 ? -status : status);
	if (time(NULL) - m->started > 60)
		m->restarts = 0; /* back off only when it keeps dying */
	backoff.tv_sec = m->restarts < 5 ? 1 << m->restarts : RESTART_BACKOFF_MAX_S;
	m->restarts++;
	nanosleep(&backoff, NULL);
	m->started = time(NULL);
	m->worker = spawn_worker(m->opts, m->socket, m->pd, -1, &m->old_mask);
	return m->worker < 0 ? (*exit_code = 1, -1) : 0;
}

/* The master keeps the last good snapshot too, so a worker it has to
 * restart starts with what was last reloaded, not what was first loaded.
 * Errors are the worker's to log. */
static void master_reload(struct master *m)
{
	struct strbuf errors;
	struct config *cfg;

	sb_init(&errors, 65536);
	cfg = config_load(m->opts->config_path, &errors);
	if (cfg != NULL)
		config_install(cfg);
	sb_free(&errors);
}

static int master_loop(struct master *m, const sigset_t *set)
{
	int exit_code = 0;

	for (;;) {
		int sig = 0, status = 0;

		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGHUP || sig == SIGUSR1) {
			log_info("reload requested");
			master_reload(m);
			kill(m->worker, SIGUSR1);
		} else if (sig == SIGTERM || sig == SIGINT) {
			stop_worker(m->worker);
			return 0;
		} else if (sig == SIGCHLD && reap(m->worker, &status)) {
			if (master_worker_died(m, status, &exit_code) < 0)
				return exit_code;
		}
	}
}

int daemon_run(const struct daemon_opts *opts, const char *socket, const struct privdrop *pd,
	       const char *pidfile, int ready_fd)
{
	struct master m = {.opts = opts, .socket = socket, .pd = pd};
	sigset_t set;
	int pid_fd = -1, rc;

	if (pidfile != NULL && (pid_fd = pidfile_open(pidfile)) < 0)
		return 1;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1); /* the worker's signals mean nothing fatal here */
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &m.old_mask);
	m.started = time(NULL);
	m.worker = spawn_worker(opts, socket, pd, ready_fd, &m.old_mask);
	if (ready_fd >= 0)
		close(ready_fd);
	rc = m.worker < 0 ? 1 : master_loop(&m, &set);
	if (pid_fd >= 0) {
		unlink(pidfile);
		close(pid_fd);
	}
	log_info("stopped");
	return rc;
}
