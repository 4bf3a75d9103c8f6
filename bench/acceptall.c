/*
 * acceptall - the ceiling for milter benchmarks: a libmilter filter that
 * does no work.  Every callback returns SMFIS_CONTINUE; at end of message
 * it adds "X-Bench: 1" and accepts.
 *
 * usage: acceptall -p SOCKET [-N]
 *   -p SOCKET  libmilter socket spec (inet:PORT@HOST, inet6:..., unix:/path)
 *   -N         set TCP_NODELAY on the listening socket (accepted sockets
 *              inherit it on Linux); libmilter itself never sets it, so
 *              without -N the header change and the verdict, written with
 *              separate write() calls, meet Nagle and the MTA's delayed ACK.
 *
 * Stops on SIGTERM/SIGINT (handled by libmilter's signal thread).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

static sfsistat cb_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_CONTINUE;
}

static sfsistat cb_str(SMFICTX *ctx, char *s)
{
	(void)ctx;
	(void)s;
	return SMFIS_CONTINUE;
}

static sfsistat cb_argv(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_CONTINUE;
}

static sfsistat cb_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_CONTINUE;
}

static sfsistat cb_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	(void)ctx;
	(void)chunk;
	(void)len;
	return SMFIS_CONTINUE;
}

static sfsistat cb_ctx(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat cb_eom(SMFICTX *ctx)
{
	char name[] = "X-Bench", value[] = "1";

	if (smfi_addheader(ctx, name, value) != MI_SUCCESS)
		return SMFIS_TEMPFAIL;
	return SMFIS_ACCEPT;
}

static struct smfiDesc desc = {
    "acceptall",		 /* filter name */
    SMFI_VERSION, SMFIF_ADDHDRS, /* actions */
    cb_connect,			 /* connect */
    cb_str,			 /* helo */
    cb_argv,			 /* envfrom */
    cb_argv,			 /* envrcpt */
    cb_header,			 /* header */
    cb_ctx,			 /* eoh */
    cb_body,			 /* body */
    cb_eom,			 /* eom */
    cb_ctx,			 /* abort */
    cb_ctx,			 /* close */
    NULL,			 /* unknown */
    NULL,			 /* data */
    NULL			 /* negotiate */
};

/* Find the listening TCP socket libmilter opened and set TCP_NODELAY. */
static int nodelay_listener(void)
{
	long maxfd = sysconf(_SC_OPEN_MAX);
	int fd, found = 0;

	if (maxfd < 0 || maxfd > 65536)
		maxfd = 65536;
	for (fd = 0; fd < (int)maxfd; fd++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int on = 0, one = 1;
		socklen_t olen = sizeof on;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) < 0 || !on)
			continue;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
		    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6))
			continue;
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) {
			fprintf(stderr, "acceptall: TCP_NODELAY on fd %d: %s\n", fd,
				strerror(errno));
			return -1;
		}
		fprintf(stderr, "acceptall: TCP_NODELAY set on listening fd %d\n", fd);
		found++;
	}
	if (found == 0)
		fputs("acceptall: no listening TCP socket found for -N\n", stderr);
	return found ? 0 : -1;
}

static void usage(void)
{
	fputs("usage: acceptall -p SOCKET [-N]\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	char *spec = NULL;
	int ch, nodelay = 0;

	while ((ch = getopt(argc, argv, "p:Nh")) != -1) {
		switch (ch) {
		case 'p': spec = optarg; break;
		case 'N': nodelay = 1; break;
		default: usage();
		}
	}
	if (spec == NULL || optind != argc)
		usage();
	if (smfi_setconn(spec) != MI_SUCCESS || smfi_setbacklog(128) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS) {
		fputs("acceptall: libmilter setup failed\n", stderr);
		return 1;
	}
	if (smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "acceptall: cannot open socket %s\n", spec);
		return 1;
	}
	if (nodelay && nodelay_listener() < 0)
		return 1;
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
