/* Milter socket preparation. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mailsift/listen.h"

const char *listen_unix_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* 1 if something accepts connections on the unix socket at path. */
static int socket_in_use(const char *path)
{
	struct sockaddr_un sun;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return 0;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0)
		return 0;
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return rc == 0;
}

int listen_prepare(const char *spec, const char **error_r)
{
	const char *path = listen_unix_path(spec);
	struct stat st;

	if (path == NULL)
		return 0;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		*error_r = "unix socket path too long";
		return -1;
	}
	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : (*error_r = "cannot stat socket path", -1);
	if (!S_ISSOCK(st.st_mode)) {
		*error_r = "socket path exists and is not a socket; not removing it";
		return -1;
	}
	if (socket_in_use(path)) {
		*error_r = "socket is in use by another process";
		return -1;
	}
	if (unlink(path) != 0) {
		*error_r = "cannot remove stale socket";
		return -1;
	}
	return 0;
}

/* libmilter keeps its listening descriptor to itself: find it. */
static void set_nodelay_on_listeners(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int one = 1;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name), listening = 0, type = 0;
		socklen_t len = sizeof(listening);
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);

		if (fd <= 2 || fd == dirfd(d))
			continue;
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
			continue;
		len = sizeof(type);
		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &slen) != 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		/* accepted sockets inherit it on Linux */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	closedir(d);
}

int listen_finish(const char *spec, const struct config *cfg, uid_t owner, const char **error_r)
{
	const char *path = listen_unix_path(spec);
	gid_t group = (gid_t)-1;

	if (path == NULL) {
		set_nodelay_on_listeners();
		return 0;
	}
	if (cfg->socket_group != NULL) {
		struct group *gr = getgrnam(cfg->socket_group);

		if (gr == NULL) {
			*error_r = "socket_group: no such group";
			return -1;
		}
		group = gr->gr_gid;
	}
	/* the socket belongs to the user we run as, so it can remove it */
	if ((owner != (uid_t)-1 || group != (gid_t)-1) && chown(path, owner, group) != 0) {
		*error_r = "cannot change the socket's owner or group";
		return -1;
	}
	if (chmod(path, cfg->socket_mode) != 0) {
		*error_r = "cannot change the socket's mode";
		return -1;
	}
	return 0;
}
