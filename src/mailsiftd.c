/* mailsiftd: the milter daemon. Options, configuration check, daemonizing. */
#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mailsift/config.h"
#include "mailsift/daemon.h"
#include "mailsift/log.h"
#include "mailsift/privdrop.h"

struct options {
	const char *config_path;
	const char *socket;
	const char *user;
	const char *pidfile;
	int foreground;
	int check_only;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: mailsiftd [-fnVh] [-c FILE] [-p SOCKET] [-u USER[:GROUP]] [-P PIDFILE]\n"
		"  -c FILE    configuration file (default %s)\n"
		"  -n         check the configuration and exit (0 ok, 1 errors)\n"
		"  -f         stay in the foreground and log to stderr\n"
		"  -p SOCKET  listen on SOCKET: unix:/path, inet:PORT@HOST, inet6:PORT@HOST\n"
		"  -u USER    run as USER[:GROUP] once the socket is open\n"
		"  -P FILE    write the process id to FILE\n"
		"  -V         print the version\n"
		"  -h         this help\n",
		CONFIG_DEFAULT_PATH);
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->config_path = CONFIG_DEFAULT_PATH;
	while ((c = getopt(argc, argv, "c:fhnp:P:u:V")) != -1) {
		switch (c) {
		case 'c': o->config_path = optarg; break;
		case 'f': o->foreground = 1; break;
		case 'n': o->check_only = 1; break;
		case 'p': o->socket = optarg; break;
		case 'P': o->pidfile = optarg; break;
		case 'u': o->user = optarg; break;
		case 'V': {
			unsigned major, minor, pl;
			smfi_version(&major, &minor, &pl);
			printf("mailsiftd %s (libmilter %u.%u.%u)\n", PACKAGE_VERSION, major, minor,
			       pl);
			exit(0);
		}
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* Detaches from the terminal. The parent exits once the worker listens
 * (0) or failed (1), so init scripts see a real result. */
static int daemonize(int *ready_fd)
{
	int fds[2];
	char c;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(fds[1]);
		exit(read(fds[0], &c, 1) == 1 ? 0 : 1);
	}
	close(fds[0]);
	if (setsid() < 0 || chdir("/") != 0)
		return -1;
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
	*ready_fd = fds[1];
	return 0;
}

/* Prefixes a relative path with the working directory. */
static int absolute_path(const char **path, char *buf)
{
	char cwd[PATH_MAX];
	int n;

	if ((*path)[0] == '/')
		return 0;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	n = snprintf(buf, PATH_MAX, "%s/%s", cwd, *path);
	if (n < 0 || n >= PATH_MAX)
		return -1;
	*path = buf;
	return 0;
}

static struct config *load_config(const char *path)
{
	struct strbuf errors;
	struct config *cfg;

	sb_init(&errors, 1 << 20);
	cfg = config_load(path, &errors);
	if (cfg == NULL)
		fputs(sb_str(&errors), stderr);
	sb_free(&errors);
	return cfg;
}

int main(int argc, char **argv)
{
	struct options o;
	char config_abs[PATH_MAX], pidfile_abs[PATH_MAX];
	struct privdrop pd;
	struct config *cfg;
	const char *user, *err = NULL;
	int ready_fd = -1, rc;

	if (parse_options(argc, argv, &o) < 0)
		return 2;
	/* the daemon runs in /: relative paths must not change meaning */
	if (absolute_path(&o.config_path, config_abs) < 0) {
		fprintf(stderr, "mailsiftd: path too long\n");
		return 2;
	}
	cfg = load_config(o.config_path);
	if (cfg == NULL)
		return 1;
	user = o.user != NULL ? o.user : cfg->user;
	if (user != NULL && privdrop_resolve(user, &pd, &err) < 0) {
		fprintf(stderr, "mailsiftd: %s %s: %s\n", o.user != NULL ? "-u" : "user", user,
			err);
		config_release(&cfg);
		return 1;
	}
	if (cfg->socket_group != NULL && getgrnam(cfg->socket_group) == NULL) {
		fprintf(stderr, "mailsiftd: socket_group %s: no such group\n", cfg->socket_group);
		config_release(&cfg);
		return 1;
	}
	if (o.check_only) {
		/* what the rule files hold that is inert or broken, as lint says it */
		if (cfg->rules != NULL)
			printf("%srules: %zu loaded, %zu inert, %zu failed\n",
			       cfg->rules_problems != NULL ? cfg->rules_problems : "",
			       cfg->rules_loaded, cfg->rules_inert, cfg->rules_failed);
		printf("%s: OK\n", o.config_path);
		config_release(&cfg);
		return 0;
	}
	/* copies: a reload in the worker frees the snapshot they came from */
	const char *pf = o.pidfile != NULL ? o.pidfile : cfg->pidfile;
	if (pf != NULL && absolute_path(&pf, pidfile_abs) < 0) {
		fprintf(stderr, "mailsiftd: pid file path too long\n");
		config_release(&cfg);
		return 2;
	}
	char *socket = strdup(o.socket != NULL ? o.socket : cfg->socket);
	char *pidfile = pf != NULL ? strdup(pf) : NULL;

	if (socket == NULL || (pf != NULL && pidfile == NULL)) {
		fprintf(stderr, "mailsiftd: out of memory\n");
		rc = 1;
		goto out;
	}
	log_open("mailsiftd", o.foreground, cfg->syslog_facility);
	log_set_debug(cfg->log_debug);
	if (!o.foreground && daemonize(&ready_fd) < 0) {
		log_error("cannot become a daemon");
		rc = 1;
		goto out;
	}
	config_install(cfg);
	cfg = NULL; /* the installed snapshot now */
	struct daemon_opts dopts = {.config_path = o.config_path, .foreground = o.foreground};
	rc = daemon_run(&dopts, socket, user != NULL ? &pd : NULL, pidfile, ready_fd);
	config_install(NULL);
out:
	config_release(&cfg);
	free(socket);
	free(pidfile);
	return rc;
}
