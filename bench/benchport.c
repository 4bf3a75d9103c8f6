/*
 * benchport - loopback port helper for run.sh.
 *
 *   benchport              print a free TCP port on 127.0.0.1 (bind to port 0)
 *   benchport -w PORT [S]  wait up to S seconds (default 10) until something
 *                          listens on 127.0.0.1:PORT; exit 0 if it does.
 *                          Reads /proc/net/tcp so no connection is made;
 *                          falls back to a connect() probe elsewhere.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &len) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return ntohs(sin.sin_port);
}

/* 1: listening, 0: not, -1: cannot tell from /proc */
static int proc_listening(unsigned port)
{
	static const char *const files[2] = {"/proc/net/tcp", "/proc/net/tcp6"};
	char line[512];
	int i, seen = 0;

	for (i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		if (f == NULL)
			continue;
		seen = 1;
		while (fgets(line, sizeof line, f) != NULL) {
			char local[128];
			unsigned lport, state;
			char *colon;

			if (sscanf(line, "%*d: %127s %*s %x", local, &state) != 2)
				continue;
			if ((colon = strrchr(local, ':')) == NULL ||
			    sscanf(colon + 1, "%x", &lport) != 1)
				continue;
			if (lport == port && state == 0x0A) { /* LISTEN */
				fclose(f);
				return 1;
			}
		}
		fclose(f);
	}
	return seen ? 0 : -1;
}

static int connect_probe(unsigned port)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	if (fd < 0)
		return 0;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((unsigned short)port);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	close(fd);
	return ok;
}

static int wait_port(unsigned port, unsigned secs)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	unsigned long tries = (unsigned long)secs * 20 + 1;

	while (tries-- > 0) {
		int st = proc_listening(port);

		if (st == 1 || (st < 0 && connect_probe(port)))
			return 0;
		nanosleep(&pause, NULL);
	}
	return 1;
}

int main(int argc, char **argv)
{
	int port;

	if (argc == 1) {
		if ((port = free_port()) < 0) {
			perror("benchport");
			return 1;
		}
		printf("%d\n", port);
		return 0;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "-w") == 0) {
		long p = strtol(argv[2], NULL, 10);
		long s = argc == 4 ? strtol(argv[3], NULL, 10) : 10;

		if (p > 0 && p < 65536 && s >= 0 && s <= 3600)
			return wait_port((unsigned)p, (unsigned)s);
	}
	fputs("usage: benchport | benchport -w PORT [SECONDS]\n", stderr);
	return 2;
}
